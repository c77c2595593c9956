// Events across processes on PostgreSQL: store.notify in one process reaches another's listenEvents at commit,
// exactly once, never from a rolled-back write or from the listener's own origin, and after a lost connection.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { listenEvents, openStore } from '../../../src/main/store/index';
import { freshTarget, skipBackend } from '../../helpers/backends';
import { startTestApp } from '../../helpers/app';
import { ROOT, tempDir } from '../../helpers/fs';

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Runs a script in a second Node process (through tsx) that opens the store and NOTIFYs. */
function inOtherProcess(dir: string, url: string, body: string): void {
  const file = join(dir, `notify-${Date.now()}.ts`);
  const store = pathToFileURL(join(ROOT, 'src/main/store/index.ts')).href;
  writeFileSync(
    file,
    `import { openStore } from '${store}';\nconst store = openStore(${JSON.stringify(url)});\n${body}\nstore.close();\n`,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`notifier failed (${r.status}): ${r.stderr}`);
}

/** Resolves with the received events once `n` have arrived. */
function collect(received: [string, unknown][], n: number): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (received.length >= n) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
}

/** Ends the event listener's connection from the server side, as a lost network would: the connections ended. */
async function killListener(target: string): Promise<number | null> {
  const admin = new pg.Client({ connectionString: target });
  await admin.connect();
  try {
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'faceinsight-events'
         AND datname = current_database()`,
    );
    return killed.rowCount;
  } finally {
    await admin.end();
  }
}

describe.skipIf(skipBackend('postgres'))('events through PostgreSQL NOTIFY', () => {
  it('delivers a committed event from another process once, and no rolled-back or own event', async () => {
    const t = tempDir('fi-events-');
    cleanups.push(t.cleanup);
    const { target } = await freshTarget('postgres', 'events');
    openStore(target).close(); // migrated before the other process starts
    const received: [string, unknown][] = [];
    const sub = listenEvents(target, (e, p) => received.push([e, p]));
    cleanups.push(() => sub.close());
    await sub.ready;

    inOtherProcess(
      t.dir,
      target,
      `try {
        store.write(() => {
          store.notify('test.rolledBack', { id: 1 });
          throw new Error('rollback');
        });
      } catch {}
      store.write(() => store.notify('labels.changed', { faceIds: [1, 2], datasetId: 7 }));`,
    );
    // This process's own events are not handed back to it (its in-process emit reached its listeners).
    const own = openStore(target);
    cleanups.push(() => own.close());
    own.notify('test.own', { id: 3 });
    // A marker from another origin, sent last: once it is here, everything sent before it was delivered.
    inOtherProcess(t.dir, target, `store.notify('test.marker', {});`);
    await collect(received, 2);
    expect(received).toEqual([
      ['labels.changed', { faceIds: [1, 2], datasetId: 7 }],
      ['test.marker', {}],
    ]);
  });

  it('listens again after its connection was lost', async () => {
    const t = tempDir('fi-events-');
    cleanups.push(t.cleanup);
    const { target } = await freshTarget('postgres', 'events');
    openStore(target).close();
    const received: [string, unknown][] = [];
    let reconnects = 0;
    const sub = listenEvents(target, (e, p) => received.push([e, p]), {
      minDelayMs: 50,
      onReconnect: () => reconnects++,
    });
    cleanups.push(() => sub.close());
    await sub.ready;
    expect(await killListener(target)).toBe(1);
    // Notify until one arrives: the listener is back (the ones sent while it was away are lost by design).
    for (let i = 0; received.length === 0; i++) {
      inOtherProcess(t.dir, target, `store.notify('test.after', { i: ${i} });`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(received[0]![0]).toBe('test.after');
    expect(reconnects).toBe(1);
  });

  it('after a lost connection, the app has every open screen refetch (the events sent meanwhile are gone)', async () => {
    const t = tempDir('fi-events-');
    cleanups.push(t.cleanup);
    const { target } = await freshTarget('postgres', 'events');
    const seed = openStore(target);
    const datasetId = seed.write(() =>
      seed.datasets.insert({ name: 'd', root: join(t.dir, 'd'), format: 'folder' }),
    );
    seed.close();
    const host = await startTestApp(join(t.dir, 'data'), target);
    cleanups.push(() => host.close());
    await host.eventsReady;
    const seen: [string, unknown][] = [];
    host.on((event, payload) => seen.push([event, payload]));
    expect(await killListener(target)).toBe(1);
    await expect
      .poll(
        () => seen.some(([e, p]) => e === 'faces.changed' && (p as { faceIds: unknown }).faceIds === null),
        {
          timeout: 30_000,
        },
      )
      .toBe(true);
    expect(seen).toContainEqual(['datasets.updated', { datasetId }]);
    expect(seen).toContainEqual(['faces.changed', { datasetId, faceIds: null, what: 'labels', by: '' }]);
  });

  it('refuses an event too large for NOTIFY, naming the limit', async () => {
    const { target } = await freshTarget('postgres', 'events');
    const store = openStore(target);
    cleanups.push(() => store.close());
    expect(() => store.notify('faces.changed', { ids: Array.from({ length: 3000 }, (_, i) => i) })).toThrow(
      /faces\.changed is \d+ bytes, over the 7900-byte NOTIFY limit: send ids, not rows/,
    );
  });
});
