// The `reevaluate-rules` job: after the rule set changes, re-check every face of a dataset in chunks.
import { AppError } from '../../../shared/errors';
import { engineFor } from '../../constraints/index';
import type { JobKindHandler } from '../types';

/** Faces per work item: one transaction each, short enough that the UI's writes never wait long. */
export const FACES_PER_ITEM = 500;

function datasetOf(job: { datasetId: number | null }): number {
  if (job.datasetId === null) throw new AppError('invalid_request', 'reevaluate-rules needs a dataset');
  return job.datasetId;
}

export const reevaluateRulesKind: JobKindHandler = {
  async plan(job, ctx) {
    const ids = ctx.store.faces.idsOfDataset(datasetOf(job));
    const keys: string[] = [];
    for (let i = 0; i < ids.length; i += FACES_PER_ITEM) {
      const chunk = ids.slice(i, i + FACES_PER_ITEM);
      keys.push(`${chunk[0]}-${chunk.at(-1)}`);
    }
    if (ids.length === 0) ctx.store.write(() => ctx.store.rules.clearDatasetViolations(datasetOf(job)));
    return { keys, summary: { faces: ids.length } };
  },
  async process(job, item, ctx) {
    const [first, last] = item.key.split('-').map(Number) as [number, number];
    const engine = engineFor(ctx.store);
    return {
      counter: 'chunks',
      commit: () => {
        for (const id of ctx.store.faces.idsInRange(datasetOf(job), first, last)) engine.refreshFace(id);
      },
    };
  },
};
