// The PostgreSQL schema (baseline + later migrations' pg steps) equals the SQLite schema after every migration:
// tables, columns (type family, nullability), primary / foreign / unique keys, index and trigger names. Also: a
// second open is a no-op, a bad URL or unreachable server is a clear error, the password is never shown.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../../src/main/store/index';
import { migrations } from '../../../src/main/store/migrations/index';
import { PG_BASELINE_VERSION } from '../../../src/main/store/pg/schema';
import { PgDb } from '../../../src/main/store/pg/pg-db';
import { redactDbTarget } from '../../../src/main/store/target';
import { freshTarget, skipBackend } from '../../helpers/backends';
import { tempDir } from '../../helpers/fs';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.splice(0).forEach((c) => c()));

interface Table {
  columns: string[];
  primaryKey: string[];
  foreignKeys: string[];
  unique: string[];
  indexes: string[];
}
type Schema = Record<string, Table>;

const family = (type: string): string => {
  const t = type.toLowerCase();
  if (t === 'integer' || t === 'bigint') return 'int';
  if (t === 'real' || t === 'double precision') return 'float';
  if (t === 'text') return 'text';
  if (t === 'blob' || t === 'bytea') return 'blob';
  return `?${t}`;
};
const onDelete: Record<string, string> = { CASCADE: 'cascade', 'SET NULL': 'set null', 'NO ACTION': 'none' };

function sqliteSchema(file: string): { schema: Schema; triggers: string[] } {
  const db = new Database(file, { readonly: true });
  const all = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[];
  const schema: Schema = {};
  for (const { name } of all<{ name: string }>(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name`,
  )) {
    const cols = all<{ name: string; type: string; notnull: number; pk: number }>(
      `SELECT * FROM pragma_table_info(?)`,
      name,
    );
    const indexes = all<{ name: string; origin: string }>(`SELECT * FROM pragma_index_list(?)`, name);
    const colsOf = (index: string) =>
      all<{ name: string }>(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, index).map((c) => c.name);
    schema[name] = {
      columns: cols.map((c) => `${c.name} ${family(c.type)} ${c.notnull || c.pk ? 'not null' : 'null'}`),
      primaryKey: cols
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      foreignKeys: all<{ from: string; table: string; to: string; on_delete: string }>(
        `SELECT * FROM pragma_foreign_key_list(?)`,
        name,
      )
        .map((f) => `${f.from} -> ${f.table}.${f.to} on delete ${onDelete[f.on_delete] ?? f.on_delete}`)
        .sort(),
      unique: indexes
        .filter((i) => i.origin === 'u')
        .map((i) => colsOf(i.name).join(','))
        .sort(),
      indexes: indexes
        .filter((i) => i.origin === 'c')
        .map((i) => `${i.name}(${colsOf(i.name).join(',')})`)
        .sort(),
    };
  }
  const triggers = all<{ name: string }>(
    `SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name`,
  );
  db.close();
  return { schema, triggers: triggers.map((t) => t.name) };
}

function pgSchema(url: string): { schema: Schema; triggers: string[] } {
  const db = new PgDb(url);
  const q = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[];
  const schema: Schema = {};
  const tables = q<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name != 'schema_version'
    ORDER BY table_name`);
  const conCols = (conkey: string) => `(SELECT string_agg(a.attname, ',' ORDER BY k.n)
    FROM unnest(${conkey}) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.conrelid
    AND a.attnum = k.attnum)`;
  for (const { name } of tables) {
    const cols = q<{ name: string; type: string; nullable: string }>(
      `SELECT column_name AS name, data_type AS type, is_nullable AS nullable FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
      name,
    );
    const cons = q<{ type: string; cols: string; ref: string | null; refcols: string | null; del: string }>(
      `SELECT c.contype AS type, ${conCols('c.conkey')} AS cols, c.confrelid::regclass::text AS ref,
         (SELECT string_agg(a.attname, ',') FROM unnest(c.confkey) k(attnum) JOIN pg_attribute a
           ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS refcols, c.confdeltype AS del
       FROM pg_constraint c WHERE c.conrelid = CAST(? AS regclass)`,
      name,
    );
    const indexes = q<{ name: string; cols: string }>(
      `SELECT i.relname AS name, (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(x.indkey)
         WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum) AS cols
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       WHERE x.indrelid = CAST(? AS regclass)
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
      name,
    );
    const del: Record<string, string> = { c: 'cascade', n: 'set null', a: 'none' };
    schema[name] = {
      columns: cols.map((c) => `${c.name} ${family(c.type)} ${c.nullable === 'NO' ? 'not null' : 'null'}`),
      primaryKey: cons.find((c) => c.type === 'p')?.cols.split(',') ?? [],
      foreignKeys: cons
        .filter((c) => c.type === 'f')
        .map((c) => `${c.cols} -> ${c.ref}.${c.refcols} on delete ${del[c.del]}`)
        .sort(),
      unique: cons
        .filter((c) => c.type === 'u')
        .map((c) => c.cols)
        .sort(),
      indexes: indexes.map((i) => `${i.name}(${i.cols})`).sort(),
    };
  }
  const triggers = q<{ name: string }>(
    `SELECT DISTINCT trigger_name AS name FROM information_schema.triggers ORDER BY 1`,
  ).map((t) => t.name);
  db.close();
  return { schema, triggers };
}

describe('the PostgreSQL schema', () => {
  it('has a pg step for every migration after its baseline', () => {
    const missing = migrations.filter((m) => m.version > PG_BASELINE_VERSION && !m.pg).map((m) => m.name);
    expect(missing).toEqual([]);
  });

  it.skipIf(skipBackend('postgres'))('equals the SQLite schema after every migration', async () => {
    const t = tempDir('fi-schema-');
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'db.sqlite');
    openStore(file).close();
    const pg = (await freshTarget('postgres', 'schema')).target;
    const store = openStore(pg);
    expect(store.schemaVersion()).toBe(migrations.at(-1)!.version);
    store.close();
    const a = sqliteSchema(file);
    const b = pgSchema(pg);
    expect(Object.keys(b.schema)).toEqual(Object.keys(a.schema));
    for (const table of Object.keys(a.schema))
      expect({ table, ...b.schema[table] }).toEqual({ table, ...a.schema[table] });
    expect(b.triggers).toEqual(a.triggers);
  });

  it.skipIf(skipBackend('postgres'))('opens an existing database without migrating it again', async () => {
    const pg = (await freshTarget('postgres', 'reopen')).target;
    const a = openStore(pg);
    const ds = a.write(() => a.datasets.insert({ name: 'x', root: '/x', format: 'folder' }));
    a.close();
    const b = openStore(pg);
    expect(b.datasets.get(ds)?.name).toBe('x');
    expect(b.integrityCheck()).toBe('ok');
    b.close();
  });

  it.skipIf(skipBackend('postgres'))(
    'reports a bad URL, a missing database and a SQL error clearly',
    async () => {
      const base = (await freshTarget('postgres', 'errs')).target.replace(/[^/]+$/, '');
      expect(() => openStore(`${base}no_such_db`)).toThrow(
        /cannot connect to PostgreSQL at .*no_such_db: database "no_such_db" does not exist/,
      );
      expect(() => openStore('postgres://bob:hunter2@127.0.0.1:1/x', { connectTimeoutMs: 2000 })).toThrow(
        /cannot connect to PostgreSQL at postgres:\/\/bob:\*\*\*@127\.0\.0\.1:1\/x: .*ECONNREFUSED/,
      );
      const db = new PgDb(`${base}postgres`);
      expect(() => db.prepare(`SELECT no_such_column FROM pg_class`).get()).toThrow(
        /column "no_such_column" does not exist \[SQLSTATE 42703\].* in "SELECT no_such_column FROM pg_class"/,
      );
      expect(() => db.prepare(`SELECT 1 AS a WHERE 1 = json_extract('{}', '$.a')`).get()).toThrow(
        /SQLite-only SQL on PostgreSQL: a SQLite JSON function/,
      );
      db.close();
      expect(() => db.prepare(`SELECT 1`).get()).toThrow(/closed/);
    },
  );

  it('redacts the password of a URL wherever it is shown', () => {
    expect(redactDbTarget('postgres://bob:hunter2@db.example:5432/team')).toBe(
      'postgres://bob:***@db.example:5432/team',
    );
    expect(redactDbTarget('postgresql://bob@db/team?password=hunter2')).toBe(
      'postgresql://bob@db/team?password=***',
    );
    expect(redactDbTarget('postgres://bob:hun%20ter@db/team')).not.toContain('hun');
    expect(redactDbTarget('/home/me/app.db')).toBe('/home/me/app.db');
  });
});
