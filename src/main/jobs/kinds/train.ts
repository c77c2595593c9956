// The `train` job: learned attribute heads for one dataset, in the job process; cancel keeps the old model.
import { AppError } from '../../../shared/errors';
import { engineFor } from '../../constraints/index';
import { parseTrainParams, runTraining } from '../../learning/train';
import type { JobKindHandler } from '../types';
import { jobParams } from '../params';

/** Thrown from the training loop when the job's cancel flag is seen; the item ends without a commit. */
class CancelledTraining extends Error {}

export const trainKind: JobKindHandler = {
  async plan(job) {
    if (job.datasetId === null) throw new AppError('invalid_request', 'train needs a dataset');
    return { keys: ['train'] };
  },

  async process(job, _item, ctx) {
    const { store } = ctx;
    const datasetId = job.datasetId as number;
    const params = parseTrainParams(jobParams('train', job), store.learning.settings(datasetId));
    let lastCheck = 0;
    const hooks = {
      checkCancel() {
        if (ctx.signal.aborted) throw new AppError('cancelled', 'the job process is stopping');
        // The cancel flag lives in the database (the UI process sets it); look every 200 ms at most.
        const now = Date.now();
        if (now - lastCheck < 200) return;
        lastCheck = now;
        if (store.jobs.get(job.id)?.cancelRequested) throw new CancelledTraining();
      },
      yieldNow: () => new Promise<void>((r) => setImmediate(r)),
      // Fits done of all (fold heads, then the final heads), as the job's `fits` / `fitsTotal` counters.
      progress(done: number, total: number) {
        const summary = store.jobs.get(job.id)?.summary ?? {};
        store.write(() => store.jobs.setSummary(job.id, { ...summary, fits: done, fitsTotal: total }));
      },
    };
    try {
      const result = await runTraining(store, engineFor(store), datasetId, params, hooks);
      return {
        counter: 'trained',
        commit: () => {
          result.commit(job.id);
          store.jobs.addToSummary(job.id, 'faces', result.metrics.faces);
        },
      };
    } catch (err) {
      // No commit: the previous model and its predictions stay in use; the runner then marks the job cancelled.
      if (err instanceof CancelledTraining) return { counter: 'cancelled' };
      throw err; // e.g. too few labels: the job fails with that message
    }
  },
};
