// The job loop run inside the job process: plan once, then claim, process and commit item by item.
import { AppError } from '../../shared/errors';
import type { JobState } from '../../shared/api';
import type { JobRecord } from '../store/index';
import type { JobContext, JobHandlers } from './types';

/** Long enough for one analysis item on a slow CPU; a dead runner's items are also released by its host. */
export const LEASE_MS = 5 * 60_000;

export interface ProgressReport {
  jobId: number;
  datasetId: number | null;
  state: JobState;
  done: number;
  total: number;
  failed: number;
}

export interface RunnerHooks {
  onProgress(p: ProgressReport): void;
}

function report(hooks: RunnerHooks, job: JobRecord | undefined): void {
  if (!job) return;
  const { id, datasetId, state, done, total, failed } = job;
  hooks.onProgress({ jobId: id, datasetId, state, done, total, failed });
}

/** Runs one job to its end (done / failed / cancelled), or until the signal aborts (the job stays resumable). */
export async function runJob(job: JobRecord, handlers: JobHandlers, ctx: JobContext, hooks: RunnerHooks) {
  const { store } = ctx;
  const handler = handlers[job.kind];
  if (!handler) {
    store.write(() => store.jobs.setState(job.id, 'failed', `no handler for job kind "${job.kind}"`));
    report(hooks, store.jobs.get(job.id));
    return;
  }
  try {
    if (job.state === 'queued') store.write(() => store.jobs.setState(job.id, 'running'));
    if (!job.planned) {
      const plan = await handler.plan(job, ctx);
      store.write(() => {
        // Planning is idempotent: items are keyed, so a re-plan after a crash adds nothing twice.
        store.jobs.addItems(job.id, plan.keys);
        store.jobs.setPlanned(job.id, plan.keys.length);
        if (plan.summary) store.jobs.setSummary(job.id, plan.summary);
      });
    }
    report(hooks, store.jobs.get(job.id));
    let lastReport = Date.now();
    for (;;) {
      if (ctx.signal.aborted) return;
      const current = store.jobs.get(job.id);
      if (!current || current.cancelRequested) {
        store.write(() => store.jobs.setState(job.id, 'cancelled'));
        break;
      }
      const item = store.write(() => store.jobs.claim(job.id, ctx.worker, LEASE_MS));
      if (!item) {
        if (store.jobs.remaining(job.id) === 0) {
          store.write(() => store.jobs.setState(job.id, 'done'));
          break;
        }
        // Items still leased to another runner: wait for them to finish or their lease to lapse.
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      const outcome = await handler.process(current, item, ctx);
      store.write(() => {
        const state = outcome.error ? 'failed' : 'done';
        if (!store.jobs.complete(item.id, ctx.worker, state, outcome.error ?? null)) return;
        outcome.commit?.();
        store.jobs.countItem(job.id, state === 'failed', outcome.counter);
      });
      if (Date.now() - lastReport > 100) {
        report(hooks, store.jobs.get(job.id));
        lastReport = Date.now();
      }
    }
  } catch (err) {
    const e = AppError.from(err);
    if (e.code === 'cancelled' && ctx.signal.aborted) return;
    if (e.code === 'internal') console.error(err);
    store.write(() => store.jobs.setState(job.id, 'failed', e.message));
  }
  report(hooks, store.jobs.get(job.id));
}

/** Runs every runnable job, oldest first, until none is left or the signal aborts. */
export async function drainJobs(handlers: JobHandlers, ctx: JobContext, hooks: RunnerHooks): Promise<void> {
  for (;;) {
    if (ctx.signal.aborted) return;
    const job = ctx.store.jobs.nextRunnable();
    if (!job) return;
    await runJob(job, handlers, ctx, hooks);
  }
}
