// The job loop run inside the job process: plan once, then claim, process and commit items, a few in flight.
import { AppError } from '../../shared/errors';
import { concurrencyField } from '../../shared/schemas';
import type { JobKind, JobState } from '../../shared/api';
import type { ClaimedItem, JobRecord, Store } from '../store/index';
import type { ItemOutcome, JobContext, JobHandlers } from './types';
import { queueDispatch, rowDispatch, type Dispatch, type Work } from './dispatch';
import { logger } from '../log';

/** Long enough for one analysis item on a slow CPU; a dead runner's items are also released by its host. */
export const LEASE_MS = 5 * 60_000;

/**
 * The lease in force: FACEINSIGHT_LEASE_MS when set (tests and benchmarks kill workers and want their items
 * back in seconds), else LEASE_MS. On PostgreSQL it is also pg-boss's expiration of a fetched item.
 */
export function leaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.FACEINSIGHT_LEASE_MS);
  return Number.isInteger(v) && v >= 1000 ? v : LEASE_MS;
}

/**
 * How this runner gets the handler's items: from pg-boss on PostgreSQL (every kind; `faceinsight worker`s take
 * only the `distributed` ones), else by row claims (SQLite).
 */
export function dispatchFor(ctx: JobContext): Dispatch {
  return ctx.queue
    ? queueDispatch(ctx.store, ctx.queue, ctx.worker)
    : rowDispatch(ctx.store, ctx.worker, leaseMs());
}

/**
 * Commits one processed item: its writes, its completion and the job's counters in one transaction, only while
 * this worker still holds its claim (false otherwise: another took it over after the lease, and its commit counts).
 */
export function commitItem(
  store: Store,
  jobId: number,
  item: ClaimedItem,
  worker: string,
  outcome: ItemOutcome,
) {
  return store.write(() => {
    const state = outcome.error ? 'failed' : 'done';
    if (!store.jobs.complete(item.id, worker, state, outcome.error ?? null)) return false;
    outcome.commit?.();
    store.jobs.countItem(jobId, state === 'failed', outcome.counter);
    return true;
  });
}
/**
 * Claims of one item before it is given up: an item is claimed again only when its job process stopped while
 * processing it (a crash, out of memory, kill -9), so its 4th claim fails it, and its job, unprocessed.
 */
export const MAX_ITEM_ATTEMPTS = 3;
/** Items in flight per job unless its params say otherwise: one decoding while another is inferred. */
export const DEFAULT_CONCURRENCY = 2;
/** Progress reports at most every 100 ms (≤ 10 Hz to the UI). */
const REPORT_MS = 100;

export interface ProgressReport {
  jobId: number;
  kind: JobKind;
  datasetId: number | null;
  state: JobState;
  done: number;
  total: number;
  failed: number;
  /** The job's summary counters as stored when this report was read. */
  summary: Record<string, number>;
}

export interface RunnerHooks {
  onProgress(p: ProgressReport): void;
}

/** Whether an event payload from another process (PostgreSQL NOTIFY) has a progress report's shape. */
export function isProgressReport(p: unknown): p is ProgressReport {
  const r = p as Partial<ProgressReport> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.jobId === 'number' &&
    typeof r.kind === 'string' &&
    typeof r.state === 'string' &&
    typeof r.done === 'number' &&
    typeof r.total === 'number' &&
    typeof r.failed === 'number' &&
    (r.datasetId === null || typeof r.datasetId === 'number') &&
    typeof r.summary === 'object' &&
    r.summary !== null
  );
}

/**
 * Reports a job's counters to the host (IPC) and, on PostgreSQL, to every other process (NOTIFY): UI processes
 * on other machines move their job bars from it.
 */
export function report(store: Store, hooks: RunnerHooks, job: JobRecord | undefined): void {
  if (!job) return;
  const { id, kind, datasetId, state, done, total, failed, summary } = job;
  const p: ProgressReport = { jobId: id, kind, datasetId, state, done, total, failed, summary };
  hooks.onProgress(p);
  try {
    store.notify('jobs.progressed', p);
  } catch (err) {
    // A lost connection fails the next write anyway; a progress event is not worth failing the job for.
    logger().warn({ err, jobId: id }, 'could not notify job progress');
  }
}

function concurrencyOf(job: JobRecord, fallback: number): number {
  const c = job.params.concurrency;
  return concurrencyField.safeParse(c).success ? (c as number) : fallback;
}

/**
 * Runs one job until it ends (done / failed / cancelled), is paused, or the signal aborts; in every case what
 * was committed stays and the job can go on later.
 */
export async function runJob(job: JobRecord, handlers: JobHandlers, ctx: JobContext, hooks: RunnerHooks) {
  const { store } = ctx;
  const handler = handlers[job.kind];
  if (!handler) {
    store.write(() => store.jobs.setState(job.id, 'failed', `no handler for job kind "${job.kind}"`));
    report(store, hooks, store.jobs.get(job.id));
    return;
  }
  const inFlight = new Set<Promise<void>>();
  try {
    // Cancelled while its runner was gone (a killed command): nothing to plan or wait for.
    if (job.cancelRequested) {
      store.write(() => store.jobs.transition(job.id, ['queued', 'running'], 'cancelled'));
      report(store, hooks, store.jobs.get(job.id));
      return;
    }
    if (job.state === 'queued') store.write(() => store.jobs.transition(job.id, ['queued'], 'running'));
    if (!job.planned) {
      const plan = await handler.plan(job, ctx);
      store.write(() => {
        // Planning is idempotent: items are keyed, so a re-plan after a crash adds nothing twice.
        store.jobs.addItems(job.id, plan.keys);
        store.jobs.setPlanned(job.id, plan.keys.length);
        if (plan.summary) store.jobs.setSummary(job.id, plan.summary);
      });
    }
    const dispatch = dispatchFor(ctx);
    await dispatch.prepare(job);
    report(store, hooks, store.jobs.get(job.id));
    let lastReport = Date.now();
    let failure: unknown = null;
    let lastDeadCheck = 0;
    let solo: Promise<void> | null = null; // a retried item in flight: nothing else starts meanwhile
    // Dispatch-only (a team server that leaves analysis to `faceinsight worker`s): plan, enqueue, follow.
    const limit =
      handler.distributed && ctx.queue && ctx.dispatchOnly
        ? 0
        : handler.ordered
          ? 1
          : concurrencyOf(job, handler.concurrency ?? DEFAULT_CONCURRENCY);

    // commitInOrder: each item's commit waits for the turn of the item claimed before it; none commits after the
    // first (in claim order) that threw.
    let turn: Promise<void> = Promise.resolve();
    let claimed = 0;
    let firstFailed = Infinity;
    const finish = async (work: Work, outcome: ItemOutcome) => {
      commitItem(store, job.id, work.item, ctx.worker, outcome);
      await dispatch.settle(work);
      if (Date.now() - lastReport >= REPORT_MS) {
        report(store, hooks, store.jobs.get(job.id));
        lastReport = Date.now();
      }
    };

    for (;;) {
      if (ctx.signal.aborted || failure) break;
      const current = store.jobs.get(job.id);
      if (!current || current.state !== 'running') break; // paused, or cancelled from the queue
      if (current.cancelRequested) {
        await Promise.all(inFlight);
        store.write(() => store.jobs.transition(job.id, ['running'], 'cancelled'));
        break;
      }
      if (limit > 0 && inFlight.size >= (solo ? 1 : limit)) {
        await Promise.race(inFlight);
        continue;
      }
      const work = limit > 0 ? await dispatch.claim(current) : undefined;
      const item = work?.item;
      if (work && work.item.attempts > MAX_ITEM_ATTEMPTS) {
        await Promise.all(inFlight);
        giveUp(store, job.id, work.item, ctx.worker);
        await dispatch.settle(work);
        break;
      }
      // An item claimed again ran when its process died: run it alone, so a second death is its own.
      if (item && item.attempts > 1 && inFlight.size > 0) await Promise.all(inFlight);
      if (!item) {
        if (inFlight.size > 0) {
          await Promise.race(inFlight);
          continue;
        }
        if (store.jobs.remaining(job.id) === 0) {
          store.write(() => store.jobs.transition(job.id, ['running'], 'done'));
          break;
        }
        // Items still leased to another runner: wait for them to finish or their lease to lapse, and free them
        // at once when that runner turns out to be dead (checked at most once a second).
        if (ctx.releaseDead && Date.now() - lastDeadCheck >= 1000) {
          lastDeadCheck = Date.now();
          ctx.releaseDead();
        }
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      const before = turn;
      const seq = claimed++;
      let done!: () => void;
      if (handler.commitInOrder) turn = new Promise<void>((r) => (done = r));
      const task: Promise<void> = handler
        .process(current, item, ctx)
        .then(async (outcome) => {
          if (handler.commitInOrder) {
            await before;
            // An item claimed earlier threw and stays uncommitted: this one goes back too, so that when the job
            // runs again they are committed in order.
            if (seq > firstFailed) return void (await dispatch.release(work!).catch(() => {}));
          }
          await finish(work!, outcome);
        })
        .catch(async (err) => {
          firstFailed = Math.min(firstFailed, seq);
          // Stopped by a shutdown: the item goes back at once rather than after its lease.
          if (ctx.signal.aborted) await dispatch.release(work!).catch(() => {});
          failure ??= err;
        })
        .finally(() => {
          done?.();
          inFlight.delete(task);
          if (solo === task) solo = null;
        });
      inFlight.add(task);
      if (item.attempts > 1) solo = task;
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    if (isOver(store.jobs.get(job.id))) await dispatch.ended(job.id);
  } catch (err) {
    await Promise.all(inFlight);
    const e = AppError.from(err);
    if (e.code === 'cancelled' && ctx.signal.aborted) return;
    if (e.code === 'internal') logger().error({ err, jobId: job.id }, `${job.kind} job failed`);
    store.write(
      () =>
        store.jobs.transition(job.id, ['queued', 'running'], 'failed') &&
        store.jobs.setState(job.id, 'failed', e.message),
    );
    await dispatchFor(ctx)
      .ended(job.id)
      .catch((err: unknown) => logger().warn({ err, jobId: job.id }, 'could not drop the job queue'));
  }
  report(store, hooks, store.jobs.get(job.id));
}

/** Done, failed or cancelled: its queue can go. */
function isOver(job: JobRecord | undefined): boolean {
  return !job || job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';
}

/** Fails an item claimed more than MAX_ITEM_ATTEMPTS times, unprocessed, and its job with the reason. */
export function giveUp(store: Store, jobId: number, item: ClaimedItem, worker: string): void {
  const reason = `item ${item.key} failed ${MAX_ITEM_ATTEMPTS} times: the job process stopped while processing it`;
  store.write(() => {
    if (store.jobs.complete(item.id, worker, 'failed', reason)) store.jobs.countItem(jobId, true, 'errors');
    if (store.jobs.transition(jobId, ['running'], 'failed')) store.jobs.setState(jobId, 'failed', reason);
  });
}

/**
 * Runs runnable jobs, oldest first, until none is left or the signal aborts: those in `woken` and, with `rest`,
 * the app's whole queue (never a job a CLI command started and left: the command, `jobs retry` or --resume
 * runs it). A command's job process passes rest = false and so runs only the command's own jobs.
 */
export async function drainJobs(
  handlers: JobHandlers,
  ctx: JobContext,
  hooks: RunnerHooks,
  woken: ReadonlySet<number> = new Set(),
  rest = true,
): Promise<void> {
  for (;;) {
    if (ctx.signal.aborted) return;
    const job = ctx.store.jobs.nextRunnable([...woken], rest);
    if (!job) return;
    await runJob(job, handlers, ctx, hooks);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Returns the claims of runners (`runner-<pid>`) that no longer exist on this machine to the pool. */
export function releaseDeadRunners(store: Store, selfPid: number): number {
  return store.write(() => {
    let n = 0;
    for (const w of store.jobs.claimedWorkers()) {
      const pid = Number(/^runner-(\d+)$/.exec(w)?.[1]);
      if (Number.isInteger(pid) && pid !== selfPid && !alive(pid)) n += store.jobs.releaseWorker(w);
    }
    return n;
  });
}
