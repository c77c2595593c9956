// The job host does not restart a dying job process forever: after MAX_RUNNER_RESTARTS restarts in a row it
// stops, and the jobs it was to run fail with the reason instead of staying queued (a CLI would wait forever).
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../../src/main/store/index';
import { JobHost, MAX_RUNNER_RESTARTS } from '../../../src/main/jobs/host';
import { tempDir } from '../../helpers/fs';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('JobHost restarts', () => {
  it(`gives up after ${MAX_RUNNER_RESTARTS} restarts of a runner that dies at start, failing its own jobs`, async () => {
    const t = tempDir('fi-host-');
    cleanups.push(t.cleanup);
    const dbPath = join(t.dir, 'db.sqlite');
    const store = openStore(dbPath);
    cleanups.push(() => store.close());
    // A real job process that dies before it can claim anything (as one whose code cannot load would).
    const entry = join(t.dir, 'dying-runner.mjs');
    writeFileSync(
      entry,
      `import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(join(t.dir, 'starts'))}, 'x');
process.exit(3);
`,
    );
    const mine = store.write(() => store.jobs.create('import', null, {}));
    const other = store.write(() => store.jobs.create('import', null, {}));
    const host = new JobHost({ store, dbPath, dataDir: t.dir, entry, scope: 'own', onProgress: () => {} });
    cleanups.push(() => host.stop());
    host.wake([mine]);
    for (;;) {
      if (store.jobs.get(mine)?.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(store.jobs.get(mine)?.error).toBe(
      `the job process stopped ${MAX_RUNNER_RESTARTS + 1} times in a row (last exit code 3); not restarted`,
    );
    // Another job of the database is none of this host's business: left queued.
    expect(store.jobs.get(other)?.state).toBe('queued');
    expect(readFileSync(join(t.dir, 'starts'), 'utf8')).toBe('x'.repeat(MAX_RUNNER_RESTARTS + 1));
    expect(host.pid).toBeUndefined();
  }, 120_000);
});
