// Datasets: one row per root folder, with image counts.
import type { Db as Database } from '../db-types';
import type { Dataset, DatasetFormat, FaceCropsMode } from '../../../shared/api';

interface DatasetRow {
  id: number;
  name: string;
  root: string;
  format: DatasetFormat;
  faceCrops: FaceCropsMode;
  createdAt: number;
  imageCount: number;
  errorCount: number;
}

const select = `SELECT d.id, d.name, d.root, d.format, d.face_crops AS faceCrops, d.created_at AS createdAt,
  (SELECT count(*) FROM images i WHERE i.dataset_id = d.id) AS imageCount,
  (SELECT count(*) FROM images i WHERE i.dataset_id = d.id AND i.status = 'error') AS errorCount
  FROM datasets d`;

export function createDatasetsRepository(db: Database) {
  const byId = db.prepare(`${select} WHERE d.id = ?`);
  const byRoot = db.prepare(`${select} WHERE d.root = ?`);
  const all = db.prepare(`${select} ORDER BY d.created_at DESC, d.id DESC`);
  const insert = db.prepare(
    `INSERT INTO datasets (name, root, format, created_at) VALUES (@name, @root, @format, @at) RETURNING id`,
  );
  const roots = db.prepare(`SELECT root FROM datasets`).pluck();
  const faceCrops = db.prepare(`SELECT face_crops FROM datasets WHERE id = ?`).pluck();
  const setFaceCrops = db.prepare(`UPDATE datasets SET face_crops = @mode WHERE id = @id`);
  const sizes =
    db.prepare(`SELECT count(*) AS sized, count(CASE WHEN width <= @side AND height <= @side THEN 1 END)
      AS small
    FROM images WHERE dataset_id = @id AND status = 'ok' AND width IS NOT NULL AND height IS NOT NULL`);
  return {
    get(id: number): Dataset | undefined {
      return byId.get(id) as DatasetRow | undefined;
    },
    findByRoot(root: string): Dataset | undefined {
      return byRoot.get(root) as DatasetRow | undefined;
    },
    list(): Dataset[] {
      return all.all() as DatasetRow[];
    },
    /** Inserts and returns the new id; the caller runs it inside store.write(). */
    insert(d: { name: string; root: string; format: DatasetFormat }): number {
      return (insert.get({ ...d, at: Date.now() }) as { id: number }).id;
    },
    roots(): string[] {
      return roots.all() as string[];
    },
    /** The stored "images are face crops" mode (undefined for an unknown dataset). */
    faceCrops(id: number): FaceCropsMode | undefined {
      return faceCrops.get(id) as FaceCropsMode | undefined;
    },
    /** Sets the mode; the caller runs it inside store.write(). */
    setFaceCrops(id: number, mode: FaceCropsMode): void {
      setFaceCrops.run({ id, mode });
    },
    /**
     * Whether the dataset's images are analysed as face crops: 'on' / 'off' as stored; 'auto' is on when more than
     * half of the images of known size are at most `maxSide` pixels on their longer side.
     */
    usesFaceCrops(id: number, maxSide: number): boolean {
      const mode = faceCrops.get(id) as FaceCropsMode | undefined;
      if (mode !== 'auto') return mode === 'on';
      const r = sizes.get({ id, side: maxSide }) as { sized: number; small: number };
      return r.sized > 0 && r.small * 2 > r.sized;
    },
  };
}
export type DatasetsRepository = ReturnType<typeof createDatasetsRepository>;
