// The `export` job: write a dataset's corrected annotations into a folder (atomic files, provenance sidecar).
import { EXPORT_FORMATS, type ExportFormat, type JobReport } from '../../../shared/api';
import { AppError } from '../../../shared/errors';
import { exportDataset } from '../../datasets/formats/export';
import type { JobKindHandler } from '../types';
import { failWithReport } from './annotations';

export const exportKind: JobKindHandler = {
  async plan() {
    return { keys: ['export'] };
  },

  async process(job, _item, ctx) {
    const p = job.params;
    const { store } = ctx;
    let report;
    try {
      if (!(EXPORT_FORMATS as readonly string[]).includes(String(p.format)) || typeof p.out !== 'string')
        throw new AppError('invalid_request', 'export job without a known format and an output folder');
      report = await exportDataset(store, {
        datasetId: job.datasetId ?? 0,
        format: p.format as ExportFormat,
        out: p.out,
        reviewedOnly: p.reviewedOnly === true,
        includePredictions: p.includePredictions === true,
        overwrite: p.overwrite === true,
        ...(typeof p.appVersion === 'string' ? { appVersion: p.appVersion } : {}),
        ...(typeof p.seed === 'number' ? { seed: p.seed } : {}),
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
