// Datasets: one row per root folder, with image counts.
import type { Database } from 'better-sqlite3';
import type { Dataset, DatasetFormat } from '../../../shared/api';

interface DatasetRow {
  id: number;
  name: string;
  root: string;
  format: DatasetFormat;
  createdAt: number;
  imageCount: number;
  errorCount: number;
}

const select = `SELECT d.id, d.name, d.root, d.format, d.created_at AS createdAt,
  (SELECT count(*) FROM images i WHERE i.dataset_id = d.id) AS imageCount,
  (SELECT count(*) FROM images i WHERE i.dataset_id = d.id AND i.status = 'error') AS errorCount
  FROM datasets d`;

export function createDatasetsRepository(db: Database) {
  const byId = db.prepare(`${select} WHERE d.id = ?`);
  const byRoot = db.prepare(`${select} WHERE d.root = ?`);
  const all = db.prepare(`${select} ORDER BY d.created_at DESC, d.id DESC`);
  const insert = db.prepare(
    `INSERT INTO datasets (name, root, format, created_at) VALUES (@name, @root, @format, @at)`,
  );
  const roots = db.prepare(`SELECT root FROM datasets`).pluck();
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
      return Number(insert.run({ ...d, at: Date.now() }).lastInsertRowid);
    },
    roots(): string[] {
      return roots.all() as string[];
    },
  };
}
export type DatasetsRepository = ReturnType<typeof createDatasetsRepository>;
