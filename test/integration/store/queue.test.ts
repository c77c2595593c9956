// The team queue (pg-boss) on a real PostgreSQL database: items come out in item id order (an ordered kind such
// as import relies on it: image ids follow paths), enqueueing again adds nothing, and an item handed back goes
// out again before the later ones.
import { afterAll, describe, expect, it } from 'vitest';
import { ItemQueue } from '../../../src/main/store/index';
import { freshTarget, skipBackend } from '../../helpers/backends';

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(skipBackend('postgres'))('the team queue', () => {
  it('hands out a job’s items in id order, once each; a released item goes out again first', async () => {
    const { target, cleanup } = await freshTarget('postgres', 'queue');
    cleanups.push(cleanup);
    const queue = new ItemQueue(target, { leaseMs: 60_000 });
    cleanups.push(() => queue.close());
    // 2,500 items: three insert batches, every one with the same creation time inside its batch.
    const items = Array.from({ length: 2500 }, (_, i) => ({ id: 1000 + i, key: `photos/${i}.jpg` }));
    await queue.enqueue(7, items);
    await queue.enqueue(7, items.slice(0, 10)); // a resumed job enqueues its unfinished items again

    const first = await queue.fetch(7, 1);
    expect(first.map((d) => d.itemId)).toEqual([1000]);
    const next = await queue.fetch(7, 3);
    expect(next.map((d) => d.itemId)).toEqual([1001, 1002, 1003]);
    // A shutdown hands 1002 back: it is the next one out, ahead of 1004.
    await queue.release(next[1]!);
    expect((await queue.fetch(7, 2)).map((d) => d.itemId)).toEqual([1002, 1004]);

    const seen = [1000, 1001, 1002, 1003, 1004];
    for (;;) {
      const got = await queue.fetch(7, 200);
      if (got.length === 0) break;
      seen.push(...got.map((d) => d.itemId));
    }
    expect(seen).toEqual(items.map((it) => it.id));
    await queue.drop(7);
    expect(await queue.fetch(7, 1)).toEqual([]);
  });
});
