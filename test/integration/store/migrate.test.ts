// `faceinsight migrate`: SQLite -> PostgreSQL -> SQLite gives back every table, every row; a non-empty target is
// refused; connection problems are clear errors and never show the password.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../../src/main/store/index';
import { COPY_ORDER } from '../../../src/main/store/copy';
import { freshTarget, skipBackend } from '../../helpers/backends';
import { ROOT, tempDir } from '../../helpers/fs';
import { scenario } from '../../helpers/store-scenario';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main/cli.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, ...env },
  });

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.splice(0).forEach((c) => c()));

/** Every row of every table, in key order, blobs as hex (best_predictions too: the triggers rebuild it). */
function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  const out: Record<string, unknown[]> = {};
  for (const [table, key] of [...COPY_ORDER, ['best_predictions', ['face_id', 'task']] as const]) {
    out[table] = db
      .prepare(`SELECT * FROM ${table} ORDER BY ${key.join(', ')}`)
      .all()
      .map((r) =>
        Object.fromEntries(
          Object.entries(r as object).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v]),
        ),
      );
  }
  db.close();
  return out;
}

interface Report {
  tables: { table: string; rows: number; checksum: string; derived: boolean }[];
}

describe.skipIf(skipBackend('postgres'))('faceinsight migrate', () => {
  it('copies SQLite -> PostgreSQL -> SQLite and gets every table and row back', async () => {
    const t = tempDir('fi-migrate-');
    cleanups.push(t.cleanup);
    const original = join(t.dir, 'app.db');
    const store = openStore(original);
    scenario(store);
    store.close();
    const pg = (await freshTarget('postgres', 'migrate')).target;

    const there = cli(['migrate', '--from', original, '--to', pg, '--json']);
    expect(there.status, there.stderr).toBe(0);
    const report = JSON.parse(there.stdout) as Report;
    expect(report.tables.map((x) => x.table)).toContain('best_predictions');
    expect(report.tables.find((x) => x.table === 'labels')!.rows).toBeGreaterThan(5);

    // The team database works as a store: ids continue after the copied ones.
    const team = openStore(pg);
    const before = team.datasets.list().map((d) => d.id);
    const added = team.write(() => team.datasets.insert({ name: 'new', root: '/new', format: 'folder' }));
    expect(added).toBeGreaterThan(Math.max(...before));
    team.write(() => team.jobs.create('export', added, {}));
    team.close();

    const back = join(t.dir, 'back.db');
    const again = cli(['migrate', '--from', pg, '--to', back]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/every table verified/);
    expect(again.stderr).toMatch(/predictions\s+\d+ rows/);
    const a = dump(original);
    const b = dump(back);
    // The one dataset and job added on PostgreSQL travel back too.
    expect(b.datasets).toHaveLength(a.datasets!.length + 1);
    b.datasets!.pop();
    b.jobs!.pop();
    expect(b).toEqual(a);
    // Checksums agree across the two copies of the same rows.
    const roundTrip = JSON.parse(
      cli(['migrate', '--from', original, '--to', join(t.dir, 'c.db'), '--json']).stdout,
    ) as Report;
    expect(roundTrip.tables.find((x) => x.table === 'faces')!.checksum).toBe(
      report.tables.find((x) => x.table === 'faces')!.checksum,
    );
  });

  it('refuses a target that already holds data, naming the table', async () => {
    const t = tempDir('fi-migrate-');
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'a.db');
    const s = openStore(file);
    s.write(() => s.datasets.insert({ name: 'd', root: '/d', format: 'folder' }));
    s.close();
    const pg = (await freshTarget('postgres', 'full')).target;
    expect(cli(['migrate', '--from', file, '--to', pg]).status).toBe(0);
    const r = cli(['migrate', '--from', file, '--to', pg]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/already holds data \(table datasets: 1 rows\)/);
  });

  it('reports a missing source file and bad usage', () => {
    const r = cli(['migrate', '--from', '/nonexistent/x.db', '--to', '/tmp/y.db']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no database file at \/nonexistent\/x\.db/);
    expect(cli(['migrate', '--from', 'a.db']).stderr).toMatch(/--from and --to are required/);
  });

  it('gives a clear error for an unreachable server and never prints the password', () => {
    const t = tempDir('fi-migrate-');
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'a.db');
    openStore(file).close();
    const r = cli(['migrate', '--from', file, '--to', 'postgres://alice:s3cret-pw@127.0.0.1:1/team']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /cannot connect to PostgreSQL at postgres:\/\/alice:\*\*\*@127\.0\.0\.1:1\/team/,
    );
    expect(r.stderr).toMatch(/ECONNREFUSED/);
    expect(r.stderr + r.stdout).not.toContain('s3cret-pw');
  });
});
