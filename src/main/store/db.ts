// Opens the SQLite file (WAL, foreign keys, busy timeout), migrates it, and runs writes as BEGIN IMMEDIATE.
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../../shared/errors';
import { migrations } from './migrations/index';

export type { Db };

export interface OpenOptions {
  readonly?: boolean;
  /** ms to wait on a lock held by the other process (UI vs job runner) before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/** Opens (creating if needed) and migrates the database. */
export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: Db;
  try {
    // Under Electron, npm start / the packaged app point this at a better-sqlite3 built for Electron's ABI.
    const nativeBinding = process.env.FACEINSIGHT_SQLITE_BINDING;
    db = new Database(file, {
      readonly: opts.readonly ?? false,
      ...(nativeBinding ? { nativeBinding } : {}),
    });
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

/** Applies every migration newer than `user_version`, each in its own immediate transaction. */
export function migrate(db: Db): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new AppError(
      'conflict',
      `database schema version ${current} is newer than this app understands (${latest})`,
      { hint: 'Update FaceInsight Studio.' },
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      // Re-check inside the lock: the other process may have migrated meanwhile.
      const now = db.pragma('user_version', { simple: true }) as number;
      if (now >= m.version) return;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return db.pragma('user_version', { simple: true }) as number;
}

/** Runs `fn` in one BEGIN IMMEDIATE transaction (both processes write; deferred upgrades deadlock). */
export function write<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
