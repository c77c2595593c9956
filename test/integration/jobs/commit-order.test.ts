// commitInOrder (import: image ids follow the sorted paths): items run side by side but commit in plan order, and
// when one throws, the items claimed after it commit nothing, so a rerun commits them in order too.
import { describe, expect, it } from 'vitest';
import { runJob } from '../../../src/main/jobs/runner';
import type { JobHandlers } from '../../../src/main/jobs/types';
import { dataPaths } from '../../../src/main/paths';
import type { Store } from '../../../src/main/store/index';
import { tempStores } from '../../helpers/store';

const newStore = tempStores('fi-commit-order-');
const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'];
/** The first items take longest, so without the ordering later ones would finish, and commit, first. */
const delay = (key: string) => new Promise((r) => setTimeout(r, (KEYS.length - KEYS.indexOf(key)) * 40));

/** c takes longest: d and e are claimed and processed while it runs, then wait for its turn. */
const slowC = (key: string) => new Promise((r) => setTimeout(r, key === 'c' ? 400 : 30));

function handlers(committed: string[], throwOn?: string): JobHandlers {
  return {
    export: {
      concurrency: 3,
      commitInOrder: true,
      plan: async () => ({ keys: KEYS }),
      process: async (_job, item) => {
        await (throwOn ? slowC(item.key) : delay(item.key));
        if (item.key === throwOn) throw new Error(`item ${item.key} broke`);
        return { counter: 'done', commit: () => void committed.push(item.key) };
      },
    },
  };
}

async function run(store: Store, dir: string, h: JobHandlers, jobId: number) {
  const ctx = {
    store,
    paths: dataPaths(dir),
    worker: `runner-${process.pid}`,
    signal: new AbortController().signal,
  };
  await runJob(store.jobs.get(jobId)!, h, ctx, { onProgress: () => {} });
}

describe('commitInOrder', () => {
  it('commits items processed side by side in plan order', async () => {
    const { dir, store } = newStore();
    const committed: string[] = [];
    const jobId = store.write(() => store.jobs.create('export', null, {}));
    await run(store, dir, handlers(committed), jobId);
    expect(store.jobs.get(jobId)).toMatchObject({ state: 'done', done: 6, failed: 0 });
    expect(committed).toEqual(KEYS);
  });

  it('commits nothing claimed after an item that throws', async () => {
    const { dir, store } = newStore();
    const committed: string[] = [];
    const jobId = store.write(() => store.jobs.create('export', null, {}));
    await run(store, dir, handlers(committed, 'c'), jobId);
    expect(store.jobs.get(jobId)).toMatchObject({ state: 'failed', error: 'item c broke' });
    // d and e were processed (claimed beside c, quicker than c) but went back uncommitted.
    expect(committed).toEqual(['a', 'b']);
    expect(store.jobs.unfinishedItems(jobId).map((i) => i.key)).toEqual(['c', 'd', 'e', 'f']);
  });
});
