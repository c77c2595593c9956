// The synchronous bridge to PostgreSQL fails loudly instead of hanging: a statement past its timeout, a
// connection the server dropped, and two connections writing at once (the advisory write lock serialises them).
import { describe, expect, it } from 'vitest';
import { PgDb } from '../../../src/main/store/pg/pg-db';
import { openStore } from '../../../src/main/store/index';
import { freshTarget, skipBackend } from '../../helpers/backends';

describe.skipIf(skipBackend('postgres'))('the PostgreSQL bridge', () => {
  it('ends a statement that runs past the timeout with a clear error and keeps the connection', async () => {
    const url = (await freshTarget('postgres', 'timeout')).target;
    const db = new PgDb(url, { statementTimeoutMs: 300 });
    expect(() => db.prepare(`SELECT pg_sleep(5)`).get()).toThrow(
      /canceling statement due to statement timeout \[SQLSTATE 57014\]/,
    );
    expect(db.prepare(`SELECT 41 + 1`).pluck().get()).toBe(42);
    db.close();
  });

  it('wakes the caller with an error when the server drops the connection', async () => {
    const url = (await freshTarget('postgres', 'dropped')).target;
    const store = openStore(url);
    const victim = new PgDb(url);
    const pid = victim.prepare(`SELECT pg_backend_pid()`).pluck().get() as number;
    const admin = new PgDb(url);
    admin.prepare(`SELECT pg_terminate_backend(?)`).get(pid);
    expect(() => victim.prepare(`SELECT 1`).get()).toThrow(/PostgreSQL|terminat|connection/i);
    // Other connections are unaffected.
    expect(store.datasets.list()).toEqual([]);
    victim.close();
    admin.close();
    store.close();
  });

  it('serialises writers of two connections with the advisory lock (read-modify-write stays correct)', async () => {
    const url = (await freshTarget('postgres', 'lock')).target;
    const a = new PgDb(url);
    const b = new PgDb(url);
    a.exec(`CREATE TABLE counter (n BIGINT NOT NULL)`);
    a.exec(`INSERT INTO counter VALUES (0)`);
    // a holds the write lock; b's write must wait for it (a lock_timeout turns the wait into an error here).
    b.exec(`SET lock_timeout = '300ms'`);
    a.transaction(() => {
      const n = a.prepare(`SELECT n FROM counter`).pluck().get() as number;
      expect(() =>
        b.transaction(() => b.prepare(`UPDATE counter SET n = n + 100`).run()).immediate(),
      ).toThrow(/lock timeout \[SQLSTATE 55P03\]/);
      a.prepare(`UPDATE counter SET n = ?`).run(n + 1);
    }).immediate();
    b.transaction(() => b.prepare(`UPDATE counter SET n = n + 100`).run()).immediate();
    expect(a.prepare(`SELECT n FROM counter`).pluck().get()).toBe(101);
    a.close();
    b.close();
  });
});
