// The team job queue on PostgreSQL: pg-boss (its own `pgboss` schema) hands out a job's work items to whichever
// process fetches them and hands them out again when the fetcher vanished (its expiration is the lease). Our
// `jobs` / `job_items` rows stay the truth for state, progress and results (see docs/architecture.md).
import { createHash } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { AppError } from '../../shared/errors';
import { redactDbTarget } from './target';

/** pg-boss's schema in our database: apart from ours, never copied by `faceinsight migrate`. */
export const BOSS_SCHEMA = 'pgboss';

/** One delivery of a work item: pg-boss's job id and our item's ids. */
export interface Delivery {
  bossId: string;
  jobId: number;
  itemId: number;
  key: string;
}

export interface ItemQueueOptions {
  /** The lease: a fetched item not completed within it is handed out again. */
  leaseMs: number;
  /**
   * Deliveries of one item before pg-boss stops handing it out; our own attempt count (MAX_ITEM_ATTEMPTS) gives
   * an item up first, so this only bounds releases at shutdown.
   */
  retryLimit?: number;
  onError?: (err: Error) => void;
}

/** The queue of one job: its items only, dropped when the job ends. */
export function queueName(jobId: number): string {
  return `faceinsight_job_${jobId}`;
}

/** A deterministic pg-boss id per item, so enqueueing a job's items again (a resumed job) adds nothing twice. */
function deliveryId(jobId: number, itemId: number): string {
  const h = createHash('sha1').update(`faceinsight:job:${jobId}:item:${itemId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class ItemQueue {
  #boss!: PgBoss;
  readonly #opts: ItemQueueOptions;
  #started: Promise<void> | null = null;
  readonly #leases = new Map<number, number>();
  readonly #target: string;
  readonly #url: string;

  constructor(url: string, opts: ItemQueueOptions) {
    this.#opts = opts;
    this.#target = redactDbTarget(url);
    this.#url = url;
  }

  async #create(): Promise<void> {
    // pg-boss is loaded with the first queue use, not at startup: a SQLite app never needs it (about 75 ms of
    // every process's start, pg included).
    const { default: Boss } = await import('pg-boss');
    const opts = this.#opts;
    const leaseS = Math.max(1, Math.ceil(opts.leaseMs / 1000));
    this.#boss = new Boss({
      connectionString: this.#url,
      schema: BOSS_SCHEMA,
      application_name: 'faceinsight-queue',
      max: 2,
      // Expired items are handed out again at the next maintenance, which one process runs per interval.
      supervise: true,
      maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(leaseS / 2))),
      schedule: false,
    });
    this.#boss.on('error', (err: Error) => opts.onError?.(err));
    await this.#boss.start();
  }

  /** Installs or upgrades pg-boss's schema (once per database, under its own lock) and connects. */
  start(): Promise<void> {
    this.#started ??= this.#create().then(
      () => undefined,
      (err: Error) => {
        throw new AppError('io_error', `job queue: cannot start pg-boss on ${this.#target}: ${err.message}`);
      },
    );
    return this.#started;
  }

  /**
   * Puts items on the job's queue; items already there (same ids) are not added again. They are fetched in item
   * id order (the plan's order): pg-boss fetches by priority, highest first, then by creation time and its own
   * random id, and a bulk insert gives every item the same creation time, so the priority is minus the item id.
   * An ordered kind (import: image ids follow paths) relies on it.
   */
  async enqueue(jobId: number, items: readonly { id: number; key: string }[]): Promise<void> {
    await this.start();
    const name = queueName(jobId);
    const leaseS = Math.max(1, Math.ceil(this.#opts.leaseMs / 1000));
    await this.#boss.createQueue(name, {
      name,
      policy: 'standard',
      expireInSeconds: leaseS,
      retryLimit: this.#opts.retryLimit ?? 100,
      retryDelay: 0,
    });
    for (let i = 0; i < items.length; i += 1000) {
      const batch = items.slice(i, i + 1000).map((it) => ({
        id: deliveryId(jobId, it.id),
        name,
        priority: -it.id,
        data: { jobId, itemId: it.id, key: it.key },
      }));
      await this.#boss.insert(batch);
    }
  }

  /** The job's lease: its queue's expiration (the enqueuer's FACEINSIGHT_LEASE_MS), this process's when unknown. */
  async leaseMs(jobId: number): Promise<number> {
    let ms = this.#leases.get(jobId);
    if (ms === undefined) {
      await this.start();
      const q = await this.#boss.getQueue(queueName(jobId));
      ms = q?.expireInSeconds ? q.expireInSeconds * 1000 : this.#opts.leaseMs;
      if (this.#leases.size > 100) this.#leases.clear();
      this.#leases.set(jobId, ms);
    }
    return ms;
  }

  /** Up to `n` deliveries of the job's items, the earliest items first (none when its queue is empty or gone). */
  async fetch(jobId: number, n: number): Promise<Delivery[]> {
    await this.start();
    const got = await this.#boss.fetch<{ jobId: number; itemId: number; key: string }>(queueName(jobId), {
      batchSize: n,
    });
    // pg-boss picks the first `n` by priority but returns them in no fixed order.
    return got
      .map((j) => ({ bossId: j.id, jobId: j.data.jobId, itemId: j.data.itemId, key: j.data.key }))
      .sort((a, b) => a.itemId - b.itemId);
  }

  /** The item is settled (its results and completion committed, or it was already done): never again. */
  async complete(d: Delivery): Promise<void> {
    await this.#boss.complete(queueName(d.jobId), d.bossId);
  }

  /** Hands an item back unprocessed (shutdown): it is fetchable again at once. */
  async release(d: Delivery): Promise<void> {
    await this.#boss.fail(queueName(d.jobId), d.bossId, { reason: 'released' });
  }

  /**
   * Makes the deliveries of these items fetchable again at once, wherever they are (a no-op for those not
   * fetched, done, or never enqueued): for items whose rows were freed while a delivery still waits out its lease.
   */
  async redeliver(jobId: number, itemIds: readonly number[]): Promise<void> {
    if (itemIds.length === 0) return;
    await this.start();
    const ids = itemIds.map((id) => deliveryId(jobId, id));
    await this.#boss.fail(queueName(jobId), ids);
  }

  /** The job ended (done, failed, cancelled): its queue and whatever is left in it go. */
  async drop(jobId: number): Promise<void> {
    await this.start();
    const name = queueName(jobId);
    try {
      // pg-boss 10's deleteQueue refuses a queue whose table still holds jobs (completed ones too): empty it first.
      await this.#boss.getDb().executeSql(`DELETE FROM ${BOSS_SCHEMA}.job WHERE name = $1`, [name]);
      await this.#boss.deleteQueue(name);
    } catch (err) {
      // Another process dropped it at the same moment: gone either way.
      this.#opts.onError?.(err as Error);
    }
  }

  async close(): Promise<void> {
    if (!this.#started) return;
    await this.#started.catch(() => {});
    // Undefined when pg-boss could not even be loaded.
    if (!(this.#boss as PgBoss | undefined)) return;
    await this.#boss.stop({ graceful: false, wait: true, timeout: 2000 });
  }
}
