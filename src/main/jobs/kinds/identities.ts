// The `identities` job: same-identity clusters, near-duplicates and split leakage of a dataset, in the job process.
import { AppError } from '../../../shared/errors';
import { identityReport } from '../../learning/identity';
import { identityParams } from '../../learning/identity-params';
import type { JobKindHandler } from '../types';
import { jobParams } from '../params';

export const identitiesKind: JobKindHandler = {
  async plan(job) {
    if (job.datasetId === null) throw new AppError('invalid_request', 'identities needs a dataset');
    return { keys: ['identities'] };
  },

  async process(job, _item, ctx) {
    const { store } = ctx;
    const datasetId = job.datasetId as number;
    const { threshold, duplicateThreshold } = identityParams(jobParams('identities', job));
    // The stamp is read before the report: a change while it computes leaves the stored report stale, not wrong.
    const stamp = store.identities.stamp(datasetId);
    let lastCheck = 0;
    let cancelled = false;
    const report = await identityReport(store, datasetId, threshold, duplicateThreshold, {
      checkCancel() {
        if (ctx.signal.aborted) throw new AppError('cancelled', 'the job process is stopping');
        // The cancel flag lives in the database (the UI process sets it); look every 200 ms at most.
        const now = Date.now();
        if (now - lastCheck < 200) return;
        lastCheck = now;
        if (store.jobs.get(job.id)?.cancelRequested) {
          cancelled = true;
          throw new AppError('cancelled', 'identities cancelled');
        }
      },
      yieldNow: () => new Promise<void>((r) => setImmediate(r)),
    }).catch((err: unknown) => {
      if (cancelled) return null;
      throw err;
    });
    // Cancelled: no commit, the previous report stays.
    if (!report) return { counter: 'cancelled' };
    return {
      counter: 'computed',
      commit: () => {
        store.identities.put({
          datasetId,
          threshold,
          duplicateThreshold,
          report,
          stamp,
          jobId: job.id,
          computedAt: Date.now(),
        });
        store.jobs.addToSummary(job.id, 'faces', report.faces);
        store.jobs.addToSummary(job.id, 'clusters', report.clusters.length);
      },
    };
  },
};
