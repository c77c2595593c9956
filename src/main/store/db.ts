// Opens the database named by a file path (SQLite: WAL, foreign keys, busy timeout) or a postgres:// URL
// (PostgreSQL through PgDb), migrates it, and runs writes as one writer at a time (BEGIN IMMEDIATE / advisory lock).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../../shared/errors';
import type { Db } from './db-types';
import { migrations } from './migrations/index';
import { PgDb, type PgOptions } from './pg/pg-db';
import { PG_BASELINE, PG_BASELINE_VERSION } from './pg/schema';
import { isPostgresUrl } from './target';

export type { Db };

export interface OpenOptions extends PgOptions {
  readonly?: boolean;
  /** ms to wait on a lock held by the other process (UI vs job runner) before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export type SqliteDb = Database.Database & { dialect: 'sqlite' };

function sqlite(db: Db): Database.Database {
  return db as unknown as Database.Database;
}

/** Opens (creating if needed) and migrates the database: a SQLite file, or a PostgreSQL URL. */
export function openDb(target: string, opts: OpenOptions = {}): Db {
  if (!isPostgresUrl(target)) return openDatabase(target, opts);
  const db = new PgDb(target, opts);
  try {
    if (!opts.readonly) migratePg(db);
    else schemaVersion(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Opens (creating if needed) and migrates a SQLite file. */
export function openDatabase(file: string, opts: OpenOptions = {}): SqliteDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: SqliteDb;
  try {
    // Under Electron, npm start / the packaged app point this at a better-sqlite3 built for Electron's ABI.
    const nativeBinding = process.env.FACEINSIGHT_SQLITE_BINDING;
    db = Object.assign(
      new Database(file, {
        readonly: opts.readonly ?? false,
        ...(nativeBinding ? { nativeBinding } : {}),
      }),
      { dialect: 'sqlite' as const },
    );
  } catch (err) {
    throw new AppError('io_error', `cannot open database ${file}: ${(err as Error).message}`, {
      where: { file },
    });
  }
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 10_000}`);
  if (!opts.readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  if (!opts.readonly) migrate(db);
  return db;
}

function tooNew(current: number, latest: number): AppError {
  return new AppError(
    'conflict',
    `database schema version ${current} is newer than this app understands (${latest})`,
    { hint: 'Update FaceInsight Studio.' },
  );
}

/** The schema version: PRAGMA user_version on SQLite, the schema_version row on PostgreSQL (0: empty). */
export function schemaVersion(db: Db): number {
  if (db.dialect !== 'postgres') return sqlite(db).pragma('user_version', { simple: true }) as number;
  const exists = db.prepare(`SELECT to_regclass('schema_version') IS NOT NULL`).pluck().get() === 1;
  if (!exists) return 0;
  return (db.prepare(`SELECT version FROM schema_version`).pluck().get() as number | undefined) ?? 0;
}

/** Applies every migration newer than `user_version`, each in its own immediate transaction. */
export function migrate(db: Db): number {
  if (db.dialect === 'postgres') return migratePg(db as PgDb);
  const s = sqlite(db);
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) throw tooNew(current, latest);
  for (const m of migrations) {
    if (m.version <= current) continue;
    s.transaction(() => {
      // Re-check inside the lock: the other process may have migrated meanwhile.
      const now = schemaVersion(db);
      if (now >= m.version) return;
      m.up(s);
      s.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return schemaVersion(db);
}

/**
 * PostgreSQL: an empty database gets the baseline (the SQLite schema at PG_BASELINE_VERSION) in one step, then
 * each later migration's `pg` step; all under the write lock, so two processes starting at once migrate once.
 */
export function migratePg(db: PgDb): number {
  const latest = migrations.at(-1)?.version ?? 0;
  return db
    .transaction(() => {
      db.query(`CREATE TABLE IF NOT EXISTS schema_version (
        id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, updated_at BIGINT NOT NULL)`);
      let current = schemaVersion(db);
      if (current > latest) throw tooNew(current, latest);
      const set = (v: number) =>
        db.query(
          `INSERT INTO schema_version (id, version, updated_at) VALUES (1, $1, $2)
           ON CONFLICT (id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
          [v, Date.now()],
        );
      if (current === 0) {
        db.query(PG_BASELINE, [], { script: true });
        current = PG_BASELINE_VERSION;
        set(current);
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        if (!m.pg) {
          throw new AppError('internal', `migration ${m.name} has no PostgreSQL step`, {
            hint: 'Every migration after the PostgreSQL baseline provides `pg` (store/migrations/index.ts).',
          });
        }
        m.pg(db);
        current = m.version;
        set(current);
      }
      return current;
    })
    .immediate();
}

/** Runs `fn` in one write transaction: BEGIN IMMEDIATE on SQLite, BEGIN + the advisory write lock on PostgreSQL. */
export function write<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

/** SQLite's integrity check; PostgreSQL checks its own pages, so there it answers whether the server responds. */
export function integrityCheck(db: Db): string {
  if (db.dialect !== 'postgres') return sqlite(db).pragma('integrity_check', { simple: true }) as string;
  return db.prepare(`SELECT 'ok'`).pluck().get() as string;
}
