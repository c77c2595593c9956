// `faceinsight worker`'s loop: takes the items of running distributed jobs (analyze) from the team queue on any
// machine, runs them with the job kind's own code, commits each with its completion, and reports progress.
import { AppError } from '../../shared/errors';
import type { ItemQueue, JobRecord, Store } from '../store/index';
import type { DataPaths } from '../paths';
import type { ExecutionProviderRequest } from '../../shared/api';
import { logger } from '../log';
import { queueDispatch, type Dispatch, type Work } from './dispatch';
import { commitItem, giveUp, MAX_ITEM_ATTEMPTS, report } from './runner';
import type { JobContext, JobHandlers } from './types';

/** Progress events at most every 100 ms per job (the runner's pace). */
const REPORT_MS = 100;
/** How often an idle worker looks for work (a new job, an item back from a vanished worker). */
const IDLE_POLL_MS = 500;

export interface WorkerOptions {
  store: Store;
  queue: ItemQueue;
  paths: DataPaths;
  handlers: JobHandlers;
  /** This worker in item claims: `worker-<host>-<pid>`. */
  worker: string;
  /** Items in flight at once. */
  concurrency: number;
  ep?: ExecutionProviderRequest;
  mapRoot?: (root: string) => string;
  readImage?: (imageId: number) => Promise<Buffer>;
  /** Stop taking items; those in flight finish and commit. */
  stopping: AbortSignal;
  /** Abort the items in flight (a second Ctrl-C): they go back to the queue unprocessed. */
  signal: AbortSignal;
  onItem?: (e: {
    jobId: number;
    key: string;
    outcome: 'done' | 'failed' | 'released';
    error?: string;
  }) => void;
}

export interface WorkerStats {
  done: number;
  failed: number;
  released: number;
}

/** Runs until `stopping` aborts (then finishes what is in flight) or an item throws (a broken install). */
export async function runWorker(opts: WorkerOptions): Promise<WorkerStats> {
  const { store, handlers } = opts;
  const kinds = Object.entries(handlers)
    .filter(([, h]) => h?.distributed)
    .map(([k]) => k);
  const dispatch: Dispatch = queueDispatch(store, opts.queue, opts.worker);
  const ctx: JobContext = {
    store,
    paths: opts.paths,
    worker: opts.worker,
    signal: opts.signal,
    queue: opts.queue,
    ...(opts.ep ? { ep: opts.ep } : {}),
    ...(opts.mapRoot ? { mapRoot: opts.mapRoot } : {}),
    ...(opts.readImage ? { readImage: opts.readImage } : {}),
  };
  const stats: WorkerStats = { done: 0, failed: 0, released: 0 };
  const inFlight = new Set<Promise<void>>();
  const lastReport = new Map<number, number>();
  let broken: unknown = null;
  const noHooks = { onProgress: () => {} };

  const progress = (jobId: number, force = false) => {
    const at = lastReport.get(jobId) ?? 0;
    if (!force && Date.now() - at < REPORT_MS) return;
    lastReport.set(jobId, Date.now());
    report(store, noHooks, store.jobs.get(jobId));
  };

  /** The last item of a job: whoever commits it ends the job (the server's runner may be waiting on it). */
  const maybeFinish = async (jobId: number) => {
    if (store.jobs.remaining(jobId) !== 0) return;
    const ended = store.write(() => store.jobs.transition(jobId, ['running'], 'done'));
    if (!ended) return;
    progress(jobId, true);
    await dispatch.ended(jobId);
  };

  const run = async (job: JobRecord, work: Work) => {
    const handler = handlers[job.kind]!;
    const { item } = work;
    try {
      const outcome = await handler.process(job, item, ctx);
      const committed = commitItem(store, job.id, item, opts.worker, outcome);
      await dispatch.settle(work);
      if (committed) {
        if (outcome.error) stats.failed++;
        else stats.done++;
        opts.onItem?.({
          jobId: job.id,
          key: item.key,
          outcome: outcome.error ? 'failed' : 'done',
          ...(outcome.error ? { error: outcome.error } : {}),
        });
      }
      progress(job.id);
      await maybeFinish(job.id);
    } catch (err) {
      // Aborted (shutdown), or this machine cannot run the item (a model that does not load): the item goes
      // back to the queue for another worker, counted as an attempt unless it was a shutdown.
      const aborted = opts.signal.aborted;
      if (aborted) await dispatch.release(work).catch(() => {});
      else {
        store.write(() => store.jobs.releaseItem(item.id, opts.worker, false));
        if (work.delivery) await opts.queue.release(work.delivery).catch(() => {});
        broken ??= err;
      }
      stats.released++;
      opts.onItem?.({ jobId: job.id, key: item.key, outcome: 'released', error: AppError.from(err).message });
    }
  };

  const stop = new Promise<void>((r) => {
    if (opts.stopping.aborted) r();
    opts.stopping.addEventListener('abort', () => r(), { once: true });
  });
  while (!opts.stopping.aborted && !broken) {
    let started = 0;
    for (const job of store.jobs.runningOfKinds(kinds)) {
      if (!handlers[job.kind]) continue;
      while (inFlight.size < opts.concurrency && !opts.stopping.aborted && !broken) {
        const work = await dispatch.claim(job);
        if (!work) break;
        if (work.item.attempts > MAX_ITEM_ATTEMPTS) {
          giveUp(store, job.id, work.item, opts.worker);
          await dispatch.settle(work);
          progress(job.id, true);
          await dispatch.ended(job.id);
          break;
        }
        started++;
        const task: Promise<void> = run(job, work).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
      if (inFlight.size >= opts.concurrency) break;
    }
    if (inFlight.size >= opts.concurrency) await Promise.race(inFlight);
    else if (started === 0) {
      const idle = new Promise<void>((r) => setTimeout(r, IDLE_POLL_MS).unref());
      await Promise.race([idle, stop, ...inFlight]);
    }
  }
  await Promise.all(inFlight);
  if (broken) {
    logger().error({ err: broken, worker: opts.worker }, 'worker: an item failed to run; stopping');
    throw broken;
  }
  return stats;
}
