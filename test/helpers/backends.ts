// Both store backends for one test file: a temp SQLite file, or a fresh database on the run's PostgreSQL cluster
// (test/helpers/postgres-setup.ts). PostgreSQL cases skip with the reason printed when there is no cluster.
import { inject } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from '../../src/main/store/db-types';
import { PgDb } from '../../src/main/store/pg/pg-db';
import { isPostgresUrl } from '../../src/main/store/target';
import { createDatabase } from './postgres';
import { tempDir } from './fs';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

/** Why the PostgreSQL cases cannot run here, or '' when they can. */
export function pgSkipReason(): string {
  return inject('pgSkip') ?? 'no PostgreSQL cluster (test/helpers/postgres-setup.ts did not run)';
}

let warned = false;
/** True when `backend` cannot run here (prints the reason once per file). */
export function skipBackend(backend: Backend): boolean {
  if (backend !== 'postgres') return false;
  const why = pgSkipReason();
  if (why && !warned) {
    warned = true;
    console.warn(`skipping PostgreSQL cases: ${why}`);
  }
  return why !== '';
}

/** A fresh, empty database of the backend: its --db target and a cleanup. */
export async function freshTarget(
  backend: Backend,
  prefix = 'fi',
): Promise<{ target: string; dir: string; cleanup: () => void }> {
  const t = tempDir(prefix);
  if (backend === 'sqlite') return { target: join(t.dir, 'db.sqlite'), dir: t.dir, cleanup: t.cleanup };
  const target = await createDatabase(inject('pgBaseUrl'), prefix);
  return { target, dir: t.dir, cleanup: t.cleanup };
}

/** A plain connection to a target for a test's own SQL (no migration, no repositories). */
export function rawDb(target: string): Db {
  return isPostgresUrl(target) ? new PgDb(target) : (new Database(target) as unknown as Db);
}
