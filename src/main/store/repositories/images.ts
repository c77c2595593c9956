// Images: one row per file under a dataset root, ok or error with the reason.
import type { Db as Database } from '../db-types';
import type { ImageStatus, ImageSummary } from '../../../shared/api';

export interface ImageRecord {
  datasetId: number;
  relPath: string;
  sha256: string | null;
  width: number | null;
  height: number | null;
  status: ImageStatus;
  error: string | null;
  sizeBytes: number | null;
  mtimeMs: number | null;
}

export interface ImageLocation {
  id: number;
  datasetId: number;
  relPath: string;
  root: string;
  sha256: string | null;
  status: ImageStatus;
}

const columns = `i.id, i.dataset_id AS datasetId, i.rel_path AS relPath, i.sha256, i.width, i.height,
  i.status, i.error,
  (SELECT count(*) FROM images j WHERE j.dataset_id = i.dataset_id AND j.sha256 = i.sha256 AND j.id != i.id)
    AS duplicates`;

export function createImagesRepository(db: Database) {
  const upsert = db.prepare(`INSERT INTO images
      (dataset_id, rel_path, sha256, width, height, status, error, size_bytes, mtime_ms, created_at)
    VALUES (@datasetId, @relPath, @sha256, @width, @height, @status, @error, @sizeBytes, @mtimeMs, @at)
    ON CONFLICT (dataset_id, rel_path) DO UPDATE SET sha256 = excluded.sha256, width = excluded.width,
      height = excluded.height, status = excluded.status, error = excluded.error,
      size_bytes = excluded.size_bytes, mtime_ms = excluded.mtime_ms
    RETURNING id`);
  const findStat = db.prepare(
    `SELECT id, size_bytes AS sizeBytes, mtime_ms AS mtimeMs, status FROM images
     WHERE dataset_id = ? AND rel_path = ?`,
  );
  const page = db.prepare(`SELECT ${columns} FROM images i
    WHERE i.dataset_id = @datasetId AND (@status IS NULL OR i.status = @status) AND i.id > @cursor
    ORDER BY i.id LIMIT @limit`);
  const count = db
    .prepare(
      `SELECT count(*) FROM images WHERE dataset_id = @datasetId AND (@status IS NULL OR status = @status)`,
    )
    .pluck();
  const locate = db.prepare(`SELECT i.id, i.dataset_id AS datasetId, i.rel_path AS relPath, d.root, i.sha256,
    i.status FROM images i JOIN datasets d ON d.id = i.dataset_id WHERE i.id = ?`);
  const stale = db
    .prepare(
      `SELECT id FROM images WHERE dataset_id = @datasetId AND status = 'ok'
      AND (@force = 1 OR analysis_key IS NULL OR analysis_key != @key) ORDER BY id`,
    )
    .pluck();
  const markAnalyzed = db.prepare(`UPDATE images SET analyzed_at = @at, analysis_key = @key WHERE id = @id`);
  const analysisCounts = db.prepare(`SELECT count(*) AS images,
      count(analysis_key) AS analyzed,
      (SELECT count(*) FROM faces f JOIN images j ON j.id = f.image_id WHERE j.dataset_id = @datasetId) AS faces
    FROM images WHERE dataset_id = @datasetId AND status = 'ok'`);
  return {
    /** Ok images whose analysis is missing or was made with other model versions (all with `force`). */
    staleForAnalysis(datasetId: number, key: string, force = false): number[] {
      return stale.all({ datasetId, key, force: force ? 1 : 0 }) as number[];
    },
    markAnalyzed(id: number, key: string, at = Date.now()): void {
      markAnalyzed.run({ id, key, at });
    },
    analysisCounts(datasetId: number): { images: number; analyzed: number; faces: number } {
      const r = analysisCounts.get({ datasetId }) as {
        images: number;
        analyzed: number | null;
        faces: number;
      };
      return { images: r.images, analyzed: r.analyzed ?? 0, faces: r.faces };
    },
    /** Inserts or refreshes by (dataset, rel_path); returns the id. */
    upsert(r: ImageRecord, at = Date.now()): number {
      return (upsert.get({ ...r, at }) as { id: number }).id;
    },
    findStat(
      datasetId: number,
      relPath: string,
    ): { id: number; sizeBytes: number | null; mtimeMs: number | null; status: ImageStatus } | undefined {
      return findStat.get(datasetId, relPath) as ReturnType<typeof this.findStat>;
    },
    /** Ordered by id (insertion order; an import inserts in path order) so the cursor is the last id. */
    page(q: { datasetId: number; status?: ImageStatus; cursor?: number; limit?: number }) {
      const limit = q.limit ?? 200;
      const params = { datasetId: q.datasetId, status: q.status ?? null, cursor: q.cursor ?? 0, limit };
      const items = page.all(params) as ImageSummary[];
      const total = count.get(params) as number;
      const last = items.at(-1);
      return { items, total, nextCursor: items.length === limit && last ? last.id : null };
    },
    locate(id: number): ImageLocation | undefined {
      return locate.get(id) as ImageLocation | undefined;
    },
  };
}
export type ImagesRepository = ReturnType<typeof createImagesRepository>;
