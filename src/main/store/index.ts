// The store: one connection per process with its repositories; the only module that touches SQLite.
import { openDatabase, write, type Db, type OpenOptions } from './db';
import { createDatasetsRepository } from './repositories/datasets';
import { createImagesRepository } from './repositories/images';
import { createJobsRepository } from './repositories/jobs';

export type { ImageRecord, ImageLocation } from './repositories/images';
export type { JobRecord, ClaimedItem } from './repositories/jobs';
export { toJob } from './repositories/jobs';

export interface Store {
  readonly file: string;
  readonly datasets: ReturnType<typeof createDatasetsRepository>;
  readonly images: ReturnType<typeof createImagesRepository>;
  readonly jobs: ReturnType<typeof createJobsRepository>;
  /** Runs fn in one BEGIN IMMEDIATE transaction. */
  write<T>(fn: () => T): T;
  /** Current schema version (PRAGMA user_version). */
  schemaVersion(): number;
  integrityCheck(): string;
  close(): void;
}

export function openStore(file: string, opts: OpenOptions = {}): Store {
  const db: Db = openDatabase(file, opts);
  return {
    file,
    datasets: createDatasetsRepository(db),
    images: createImagesRepository(db),
    jobs: createJobsRepository(db),
    write: (fn) => write(db, fn),
    schemaVersion: () => db.pragma('user_version', { simple: true }) as number,
    integrityCheck: () => db.pragma('integrity_check', { simple: true }) as string,
    close: () => db.close(),
  };
}
