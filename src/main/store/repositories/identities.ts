// Stored identity reports (computed by the `identities` job) and the stamp that tells whether one is still current.
import type { Db as Database } from '../db-types';
import type { IdentityReport } from '../../../shared/api';

export interface StoredIdentityReport {
  datasetId: number;
  threshold: number;
  duplicateThreshold: number;
  report: IdentityReport;
  stamp: string;
  jobId: number | null;
  computedAt: number;
}

export function createIdentitiesRepository(db: Database) {
  const get =
    db.prepare(`SELECT dataset_id AS datasetId, threshold, duplicate_threshold AS duplicateThreshold,
      report, stamp, job_id AS jobId, computed_at AS computedAt FROM identity_reports WHERE dataset_id = ?`);
  const put =
    db.prepare(`INSERT INTO identity_reports (dataset_id, threshold, duplicate_threshold, report, stamp,
      job_id, computed_at) VALUES (@datasetId, @threshold, @duplicateThreshold, @report, @stamp, @jobId, @computedAt)
    ON CONFLICT (dataset_id) DO UPDATE SET threshold = excluded.threshold,
      duplicate_threshold = excluded.duplicate_threshold, report = excluded.report, stamp = excluded.stamp,
      job_id = excluded.job_id, computed_at = excluded.computed_at`);
  // What a report reads: the dataset's faces (ids), their embeddings (rewritten by analysis, which stamps
  // analyzed_at), the images' splits and hashes. Faces merged or deleted change the count.
  const stamp = db
    .prepare(
      `SELECT (SELECT count(*) || ':' || coalesce(max(f.id), 0) FROM faces f JOIN images i ON i.id = f.image_id
          WHERE i.dataset_id = @d) || ':' ||
        (SELECT count(*) || ':' || coalesce(max(analyzed_at), 0) || ':' || count(split) || ':' ||
          ${db.dialect === 'postgres' ? 'coalesce(sum(id * (131 * length(split) + ascii(split))), 0)' : 'total(id * (131 * length(split) + unicode(split)))'}
          || ':' || count(sha256)
          FROM images WHERE dataset_id = @d)`,
    )
    .pluck();
  return {
    get(datasetId: number): StoredIdentityReport | undefined {
      const row = get.get(datasetId) as
        (Omit<StoredIdentityReport, 'report'> & { report: string }) | undefined;
      return row && { ...row, report: JSON.parse(row.report) as IdentityReport };
    },
    put(r: StoredIdentityReport): void {
      put.run({ ...r, report: JSON.stringify(r.report) });
    },
    /** Changes whenever what an identity report reads may have (faces, embeddings, splits, image hashes). */
    stamp(datasetId: number): string {
      return stamp.get({ d: datasetId }) as string;
    },
  };
}
export type IdentitiesRepository = ReturnType<typeof createIdentitiesRepository>;
