// The `annotations` job: validate a dataset's annotation files, write them in one transaction, re-check rules.
import type { JobReport } from '../../../shared/api';
import { AppError } from '../../../shared/errors';
import { engineFor } from '../../constraints/index';
import { prepareImport } from '../../datasets/formats/import';
import { RefusedInput } from '../../datasets/formats/text';
import type { Store } from '../../store/index';
import type { JobKindHandler } from '../types';
import { jobParams } from '../params';

/** Stores the refusal's problems beside the failed job (the only row a refused import writes), then rethrows. */
export function failWithReport(store: Store, jobId: number, err: unknown): never {
  const e = AppError.from(err);
  const errors = err instanceof RefusedInput ? err.problems.map(({ severity: _s, ...p }) => p) : [e.toJSON()];
  const report: JobReport = { errors, warnings: [], warningCount: 0, files: [], counts: {} };
  store.write(() => store.annotations.setJobReport(jobId, report));
  throw e;
}

export const annotationsKind: JobKindHandler = {
  // Two items in order: the import (one transaction), then the rule pass over the new labels (its own step).
  // The rule pass must read the committed import, and a refused import must not run it at all.
  ordered: true,
  async plan() {
    return { keys: ['1-import', '2-rules'] };
  },

  async process(job, item, ctx) {
    const { store } = ctx;
    const datasetId = job.datasetId ?? 0;
    if (item.key === '2-rules') {
      const r = engineFor(store).refreshLabelViolations(datasetId);
      // One counter, written into the row: the `job` handed to this item may predate the import's summary.
      return {
        counter: 'rulesChecked',
        commit: () => store.jobs.setSummaryCounter(job.id, 'violations', r.violations),
      };
    }
    let prepared;
    try {
      prepared = await prepareImport(store, { datasetId, ...jobParams('annotations', job) });
    } catch (err) {
      failWithReport(store, job.id, err);
    }
    return {
      counter: 'imported',
      commit: () => {
        // A face that took over a detection has its predictions now: every rule is re-checked for it.
        const merged = prepared.write();
        for (const id of merged) engineFor(store).refreshFace(id);
        const r = prepared.report();
        const counts = {
          faces: r.faces,
          created: r.created,
          labels: r.labels,
          ...(r.masks > 0 ? { masks: r.masks } : {}),
          skipped: r.skipped,
          warnings: r.warningCount,
        };
        store.jobs.setSummary(job.id, counts);
        const report: JobReport = {
          errors: [],
          warnings: r.warnings,
          warningCount: r.warningCount,
          files: r.files,
          counts,
        };
        store.annotations.setJobReport(job.id, report);
      },
    };
  },
};
