// The `export` job: write a dataset's corrected annotations into a folder (atomic files, provenance sidecar).
import type { JobReport } from '../../../shared/api';
import { exportDataset } from '../../datasets/formats/export';
import { jobParams } from '../params';
import type { JobKindHandler } from '../types';
import { failWithReport } from './annotations';

export const exportKind: JobKindHandler = {
  async plan() {
    return { keys: ['export'] };
  },

  async process(job, _item, ctx) {
    const { store } = ctx;
    let report;
    try {
      const p = jobParams('export', job);
      report = await exportDataset(store, {
        datasetId: job.datasetId ?? 0,
        format: p.format,
        out: p.out,
        reviewedOnly: p.reviewedOnly === true,
        includePredictions: p.includePredictions === true,
        ...(p.predictionSource !== undefined ? { predictionSource: p.predictionSource } : {}),
        overwrite: p.overwrite === true,
        ...(p.appVersion !== undefined ? { appVersion: p.appVersion } : {}),
        ...(p.seed !== undefined ? { seed: p.seed } : {}),
      });
    } catch (err) {
      failWithReport(store, job.id, err);
    }
    const counts = {
      faces: report.faces,
      files: report.files.length,
      warnings: report.warningCount,
      ...report.counts,
    };
    const full: JobReport = {
      errors: [],
      warnings: report.warnings,
      warningCount: report.warningCount,
      files: report.files,
      counts,
    };
    return {
      counter: 'exported',
      commit: () => {
        store.jobs.setSummary(job.id, counts);
        store.annotations.setJobReport(job.id, full);
      },
    };
  },
};
