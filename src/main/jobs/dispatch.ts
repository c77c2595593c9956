// How the runner and `faceinsight worker` get a job's work items: by claiming rows (SQLite, and the kinds that stay
// with the server's job process) or from pg-boss (PostgreSQL, kinds any worker may take). Either way the item's
// row is claimed under a lease and completed in the transaction of its results, so nothing is done twice.
import type { ClaimedItem, Delivery, ItemQueue, JobRecord, Store } from '../store/index';
import { logger } from '../log';

/** A claimed item, and the queue delivery it came with (pg-boss), settled once its commit is in. */
export interface Work {
  item: ClaimedItem;
  delivery?: Delivery;
}

export interface Dispatch {
  /** A job starts (or resumes) here: its unfinished items go on the queue (idempotent). */
  prepare(job: JobRecord): Promise<void>;
  /** The next item of the job this worker may process, or undefined when none is available now. */
  claim(job: JobRecord): Promise<Work | undefined>;
  /** The item's outcome is committed (or it was settled by someone else): the queue forgets it. */
  settle(work: Work): Promise<void>;
  /** The item was not processed (shutdown): back to the pool without counting an attempt. */
  release(work: Work): Promise<void>;
  /** The job ended: what the queue still holds for it goes. */
  ended(jobId: number): Promise<void>;
}

/** Today's engine: the rows are the queue (SQLite; on PostgreSQL, the kinds no worker takes). */
export function rowDispatch(store: Store, worker: string, leaseMs: number): Dispatch {
  return {
    prepare: async () => {},
    claim: async (job) => {
      const item = store.write(() => store.jobs.claim(job.id, worker, leaseMs));
      return item && { item };
    },
    settle: async () => {},
    release: async ({ item }) => void store.write(() => store.jobs.releaseItem(item.id, worker, true)),
    ended: async () => {},
  };
}

/**
 * pg-boss hands out the items (one queue per job) and hands out again those whose fetcher vanished after the
 * lease; each delivery is checked against the item's row before any work: a done item is only acknowledged.
 */
export function queueDispatch(store: Store, queue: ItemQueue, worker: string): Dispatch {
  return {
    prepare: async (job) => queue.enqueue(job.id, store.jobs.unfinishedItems(job.id)),
    async claim(job) {
      for (;;) {
        let [d] = await queue.fetch(job.id, 1);
        if (!d) {
          // Rows nobody claims whose deliveries are still out: a dead job process's items, freed by its host at
          // once; hand them out now rather than after the lease.
          const pending = store.jobs.pendingItemIds(job.id, 50);
          if (pending.length === 0) return undefined;
          await queue.redeliver(job.id, pending);
          [d] = await queue.fetch(job.id, 1);
          if (!d) return undefined;
        }
        // The row's lease is the queue's expiration, set by whoever enqueued the job (the server).
        const leaseMs = await queue.leaseMs(job.id);
        const item = store.write(() => store.jobs.claimItem(d.itemId, worker, leaseMs));
        if (item) return { item, delivery: d };
        const state = store.jobs.itemState(d.itemId);
        // Settled already (a redelivery after its results were committed), or its job was deleted.
        if (state === undefined || state === 'done' || state === 'failed') await queue.complete(d);
        // Otherwise another worker holds it under a live lease (a delivery that outran the row's lease): left
        // active, so pg-boss hands it out again after the lease, when the row says what to do.
        else logger().info({ item: d.itemId, state }, 'queue: item held by another worker, skipped');
      }
    },
    settle: async ({ delivery }) => {
      if (delivery) await queue.complete(delivery);
    },
    async release({ item, delivery }) {
      store.write(() => store.jobs.releaseItem(item.id, worker, true));
      if (delivery) await queue.release(delivery);
    },
    ended: (jobId) => queue.drop(jobId),
  };
}
