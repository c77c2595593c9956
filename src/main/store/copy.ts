// `faceinsight migrate`: copies every table of one database into an empty other one (SQLite <-> PostgreSQL), ids
// kept, in one target transaction, then checks per table the row count, the key set and a checksum of the rows.
import { createHash } from 'node:crypto';
import { AppError } from '../../shared/errors';
import { openDb, schemaVersion } from './db';
import type { Db } from './db-types';
import { redactDbTarget } from './target';

/**
 * Every table in foreign-key order with the columns that order its rows (its primary key). best_predictions is
 * derived: the triggers on predictions rebuild it in the target, and it is verified like the others.
 */
export const COPY_ORDER: readonly (readonly [table: string, key: readonly string[]])[] = [
  ['datasets', ['id']],
  ['images', ['id']],
  ['faces', ['id']],
  ['predictions', ['id']],
  ['labels', ['face_id', 'key', 'source']],
  ['label_events', ['id']],
  ['masks', ['face_id', 'source', 'version']],
  ['masks_undone', ['id']],
  ['reviews', ['face_id']],
  ['rules', ['id']],
  ['violations', ['id']],
  ['embeddings', ['face_id', 'model_id']],
  ['jobs', ['id']],
  ['job_items', ['id']],
  ['learned_models', ['id']],
  ['learning_settings', ['dataset_id']],
  ['identity_reports', ['dataset_id']],
  ['label_issues', ['face_id', 'key']],
  ['face_label_scores', ['face_id']],
  ['mllm_answers', ['id']],
  ['mllm_cache', ['key']],
  ['users', ['id']],
  ['review_claims', ['face_id', 'user_id']],
  ['review_events', ['id']],
  ['review_takeovers', ['id']],
];
const DERIVED: readonly (readonly [string, readonly string[]])[] = [
  ['best_predictions', ['face_id', 'task']],
];

/** Tables with a generated id: PostgreSQL's identity sequences continue after the copied ids. */
const IDENTITY = new Set(COPY_ORDER.filter(([, k]) => k.length === 1 && k[0] === 'id').map(([t]) => t));

export interface TableCopy {
  table: string;
  rows: number;
  /** sha256 of the rows in key order (the same on both sides, or the copy is refused). */
  checksum: string;
  derived: boolean;
}

export interface CopyReport {
  from: string;
  to: string;
  schemaVersion: number;
  tables: TableCopy[];
  ms: number;
}

/** The database's own tables (not schema_version, temp tables or SQLite's internal ones). */
export function listTables(db: Db): string[] {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
        AND table_type = 'BASE TABLE' AND table_name != 'schema_version' ORDER BY table_name`
      : `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
        ORDER BY name`;
  return db.prepare(sql).pluck().all() as string[];
}

export function listColumns(db: Db, table: string): string[] {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()
        AND table_name = ? ORDER BY ordinal_position`
      : `SELECT name FROM pragma_table_info(?) ORDER BY cid`;
  return db.prepare(sql).pluck().all(table) as string[];
}

/** A row as canonical text: numbers as JSON numbers, blobs as hex, so both backends hash alike. */
function canonical(row: unknown[]): string {
  return JSON.stringify(row.map((v) => (Buffer.isBuffer(v) ? `x:${v.toString('hex')}` : v)));
}

/** Count, hash of the keys and hash of the rows of a table, read in key order. */
function digest(db: Db, table: string, cols: readonly string[], key: readonly string[]) {
  const keyIdx = key.map((k) => cols.indexOf(k));
  const rows = createHash('sha256');
  const keys = createHash('sha256');
  let n = 0;
  const st = db.prepare(`SELECT ${cols.join(', ')} FROM ${table} ORDER BY ${key.join(', ')}`);
  for (const r of st.iterate() as Iterable<Record<string, unknown>>) {
    const row = cols.map((c) => r[c]);
    rows.update(canonical(row)).update('\n');
    keys.update(canonical(keyIdx.map((i) => row[i]))).update('\n');
    n++;
  }
  return { rows: n, keys: keys.digest('hex'), checksum: rows.digest('hex') };
}

function tableCheck(source: string[], target: string[], from: string, to: string): void {
  const known = new Set([...COPY_ORDER, ...DERIVED].map(([t]) => t));
  for (const [list, where] of [
    [source, from],
    [target, to],
  ] as const) {
    const unknown = list.filter((t) => !known.has(t));
    if (unknown.length > 0) {
      throw new AppError('internal', `migrate does not know the table(s) ${unknown.join(', ')} of ${where}`, {
        hint: 'A migration added a table: add it to COPY_ORDER in src/main/store/copy.ts.',
      });
    }
  }
}

/**
 * Copies `from` into `to` (each a SQLite file or a postgres:// URL). The target is created and migrated when
 * needed, must hold no rows, and is written in one transaction that the verification can still roll back.
 */
export function copyDatabase(from: string, to: string): CopyReport {
  const t0 = Date.now();
  const shownFrom = redactDbTarget(from);
  const shownTo = redactDbTarget(to);
  const source = openDb(from);
  let target: Db | null = null;
  try {
    target = openDb(to);
    const dst = target;
    const version = schemaVersion(source);
    if (schemaVersion(dst) !== version) {
      throw new AppError(
        'conflict',
        `schema versions differ: ${shownFrom} is at ${version}, ${shownTo} at ${schemaVersion(dst)}`,
      );
    }
    tableCheck(listTables(source), listTables(dst), shownFrom, shownTo);
    for (const [table] of [...COPY_ORDER, ...DERIVED]) {
      const n = dst.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      if (n > 0) {
        throw new AppError(
          'conflict',
          `${shownTo} already holds data (table ${table}: ${n} rows); migrate copies into an empty database only`,
          { hint: 'Create a new, empty database (or a new file) as the target.' },
        );
      }
    }
    const tables = dst
      .transaction((): TableCopy[] => {
        const out: TableCopy[] = [];
        for (const [table, key] of COPY_ORDER) {
          const cols = listColumns(source, table);
          const missing = cols.filter((c) => !listColumns(dst, table).includes(c));
          if (missing.length > 0) {
            throw new AppError(
              'conflict',
              `${shownTo}: table ${table} lacks column(s) ${missing.join(', ')}`,
            );
          }
          copyTable(source, dst, table, cols, key);
          if (dst.dialect === 'postgres' && IDENTITY.has(table)) {
            dst
              .prepare(
                `SELECT setval(pg_get_serial_sequence('${table}', 'id'),
                  coalesce((SELECT max(id) FROM ${table}), 0) + 1, false)`,
              )
              .get();
          }
        }
        for (const [table, key] of [...COPY_ORDER, ...DERIVED]) {
          const cols = listColumns(source, table);
          const a = digest(source, table, cols, key);
          const b = digest(dst, table, cols, key);
          const what =
            a.rows !== b.rows
              ? `${a.rows} rows in the source, ${b.rows} in the target`
              : a.keys !== b.keys
                ? `the ${key.join(', ')} sets differ`
                : a.checksum !== b.checksum
                  ? 'the rows differ (checksum)'
                  : null;
          if (what) throw new AppError('internal', `migrate: table ${table} did not copy equal: ${what}`);
          out.push({
            table,
            rows: a.rows,
            checksum: a.checksum,
            derived: DERIVED.some(([t]) => t === table),
          });
        }
        return out;
      })
      .immediate();
    return { from: shownFrom, to: shownTo, schemaVersion: version, tables, ms: Date.now() - t0 };
  } finally {
    target?.close();
    source.close();
  }
}

/** Multi-row INSERTs of at most 500 rows (and 30,000 values: under SQLite's 32,766 bound parameters). */
function copyTable(source: Db, target: Db, table: string, cols: string[], key: readonly string[]): void {
  const per = Math.max(1, Math.min(500, Math.floor(30_000 / cols.length)));
  const row = `(${cols.map(() => '?').join(', ')})`;
  const insert = (n: number) =>
    target.prepare(
      `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${new Array<string>(n).fill(row).join(', ')}`,
    );
  const full = insert(per);
  let batch: unknown[] = [];
  let n = 0;
  const read = source.prepare(`SELECT ${cols.join(', ')} FROM ${table} ORDER BY ${key.join(', ')}`);
  for (const r of read.iterate() as Iterable<Record<string, unknown>>) {
    for (const c of cols) batch.push(r[c]);
    if (++n === per) {
      full.run(batch);
      batch = [];
      n = 0;
    }
  }
  if (n > 0) insert(n).run(batch);
}
