// Jobs and their work items: state lives here, never only in memory; items are claimed under a lease.
import type { Db as Database } from '../db-types';
import type { Job, JobKind, JobState } from '../../../shared/api';
import { jsonList } from '../db-types';

interface JobRow extends Omit<Job, 'summary'> {
  summary: string;
  params: string;
  cancelRequested: number;
  planned: number;
}

export interface JobRecord extends Job {
  params: Record<string, unknown>;
  cancelRequested: boolean;
  /** True once the job's items have all been enumerated (planning is idempotent otherwise). */
  planned: boolean;
}

export interface ClaimedItem {
  id: number;
  jobId: number;
  key: string;
  attempts: number;
}

/**
 * The JSON text columns' edits per dialect: SQLite's json_set / json_extract, PostgreSQL's jsonb_set / ->> (its
 * jsonb text puts keys in its own order and a space after ':' and ','; readers JSON.parse either).
 */
function jsonSql(pg: boolean) {
  const key = (k: string) => (k.startsWith('@') ? `CAST(${k} AS text)` : `'${k}'`);
  return {
    /** The key's value as text, NULL when absent or JSON null. */
    get: (col: string, k: string) =>
      pg
        ? `(CAST(${col} AS json) ->> ${key(k)})`
        : `json_extract(${col}, ${k.startsWith('@') ? `'$.' || ${k}` : `'$.${k}'`})`,
    /** The column with key k set to the number `n`. */
    setNumber: (col: string, k: string, n: string) =>
      pg
        ? `CAST(jsonb_set(CAST(${col} AS jsonb), ARRAY[${key(k)}], to_jsonb(CAST(${n} AS numeric))) AS text)`
        : `json_set(${col}, ${k.startsWith('@') ? `'$.' || ${k}` : `'$.${k}'`}, ${n})`,
  };
}

const columns = `id, kind, dataset_id AS datasetId, state, done, total, failed, error, summary, params,
  cancel_requested AS cancelRequested, planned, created_at AS createdAt, updated_at AS updatedAt`;

function toRecord(r: JobRow): JobRecord {
  return {
    ...r,
    summary: JSON.parse(r.summary) as Record<string, number>,
    params: JSON.parse(r.params) as Record<string, unknown>,
    cancelRequested: r.cancelRequested === 1,
    planned: r.planned === 1,
  };
}

export function toJob(r: JobRecord): Job {
  const { params: _p, cancelRequested: _c, planned: _pl, ...job } = r;
  return job;
}

export function createJobsRepository(db: Database) {
  const json = jsonSql(db.dialect === 'postgres');
  const woken = jsonList(db, '@woken', 'int');
  const insert = db.prepare(`INSERT INTO jobs (kind, dataset_id, params, state, created_at, updated_at)
    VALUES (@kind, @datasetId, @params, 'queued', @at, @at) RETURNING id`);
  const byId = db.prepare(`SELECT ${columns} FROM jobs WHERE id = ?`);
  const list = db.prepare(`SELECT ${columns} FROM jobs
    WHERE (@datasetId IS NULL OR dataset_id = @datasetId) ORDER BY id DESC LIMIT @limit`);
  // `woken`: jobs asked for by id; `rest` 1: any other job too, except those a CLI command started.
  const runnable = db.prepare(`SELECT ${columns} FROM jobs WHERE state IN ('queued', 'running')
    AND (id IN ${woken} OR (@rest = 1 AND ${json.get('params', 'command')} IS NULL)) ORDER BY id LIMIT 1`);
  const unwoken = db.prepare(`SELECT ${columns} FROM jobs WHERE state IN ('queued', 'running')
    AND id NOT IN ${woken}
    AND (@rest = 0 OR ${json.get('params', 'command')} IS NOT NULL) ORDER BY id`);
  const markCommand = db.prepare(`UPDATE jobs SET params = ${json.setNumber('params', 'command', '1')}
    WHERE id = ? AND ${json.get('params', 'command')} IS NULL`);
  const setState = db.prepare(
    `UPDATE jobs SET state = @state, error = @error, updated_at = @at WHERE id = @id`,
  );
  const transition =
    db.prepare(`UPDATE jobs SET state = @to, error = CASE WHEN @to = 'failed' THEN error ELSE NULL END,
      updated_at = @at WHERE id = @id AND state IN ${jsonList(db, '@from', 'text')}`);
  const requestCancel = db.prepare(`UPDATE jobs SET cancel_requested = 1, updated_at = @at WHERE id = @id`);
  const setPlanned = db.prepare(
    `UPDATE jobs SET planned = 1, total = @total, updated_at = @at WHERE id = @id`,
  );
  const setSummary = db.prepare(`UPDATE jobs SET summary = @summary, updated_at = @at WHERE id = @id`);
  // SQLite's json_extract gives a number; PostgreSQL's ->> text, cast to numeric (the sum stays exact).
  const counter =
    db.dialect === 'postgres'
      ? `CAST(${json.get('summary', '@counter')} AS numeric)`
      : json.get('summary', '@counter');
  const bump = db.prepare(`UPDATE jobs SET done = done + 1, failed = failed + @failed,
      summary = ${json.setNumber('summary', '@counter', `coalesce(${counter}, 0) + 1`)},
      updated_at = @at WHERE id = @id`);
  const addSummary = db.prepare(`UPDATE jobs SET
      summary = ${json.setNumber('summary', '@counter', `coalesce(${counter}, 0) + @n`)}
    WHERE id = @id`);
  const putSummary = db.prepare(`UPDATE jobs SET summary = ${json.setNumber('summary', '@counter', '@value')},
      updated_at = @at WHERE id = @id`);
  const addItem = db.prepare(`INSERT INTO job_items (job_id, key, state) VALUES (?, ?, 'pending')
    ON CONFLICT (job_id, key) DO NOTHING`);
  // A pending item, or one whose lease ran out (its runner died mid-item): claimed again.
  const claim = db.prepare(`UPDATE job_items SET state = 'claimed', worker = @worker, lease_until = @until,
      attempts = attempts + 1
    WHERE id = (SELECT id FROM job_items WHERE job_id = @jobId
      AND (state = 'pending' OR (state = 'claimed' AND lease_until < @now)) ORDER BY id LIMIT 1)
    RETURNING id, job_id AS jobId, key, attempts`);
  // One item by id (a queue delivered it): claimed when pending, or when its lease ran out (its worker vanished).
  const claimOne = db.prepare(`UPDATE job_items SET state = 'claimed', worker = @worker, lease_until = @until,
      attempts = attempts + 1
    WHERE id = @id AND (state = 'pending' OR (state = 'claimed' AND lease_until < @now))
    RETURNING id, job_id AS jobId, key, attempts`);
  const pendingIds = db
    .prepare(`SELECT id FROM job_items WHERE job_id = ? AND state = 'pending' ORDER BY id LIMIT ?`)
    .pluck();
  const itemState = db.prepare(`SELECT state FROM job_items WHERE id = ?`).pluck();
  const releaseOne = db.prepare(`UPDATE job_items SET state = 'pending', worker = NULL, lease_until = NULL,
      attempts = CASE WHEN attempts > @refund THEN attempts - @refund ELSE 0 END
    WHERE id = @id AND state = 'claimed' AND worker = @worker`);
  const unfinished =
    db.prepare(`SELECT id, key FROM job_items WHERE job_id = ? AND state IN ('pending', 'claimed')
    ORDER BY id`);
  const runningOf = db.prepare(`SELECT ${columns} FROM jobs WHERE state = 'running' AND planned = 1
    AND cancel_requested = 0 AND kind IN ${jsonList(db, '@kinds', 'text')} ORDER BY id`);
  const release = db.prepare(`UPDATE job_items SET state = 'pending', worker = NULL, lease_until = NULL,
      attempts = CASE WHEN attempts > @refund THEN attempts - @refund ELSE 0 END
    WHERE state = 'claimed' AND worker = @worker`);
  const heldBy = db
    .prepare(`SELECT DISTINCT job_id FROM job_items WHERE state = 'claimed' AND worker = ? ORDER BY 1`)
    .pluck();
  // Retry: failed and unfinished items start over (attempts 0); claimed ones stay with their runner.
  const resetItems = db.prepare(`UPDATE job_items SET attempts = 0, error = NULL,
      state = CASE WHEN state = 'failed' THEN 'pending' ELSE state END
    WHERE job_id = ? AND state != 'done'`);
  const resetJob = db.prepare(`UPDATE jobs SET done = done - @failed, failed = failed - @failed,
      state = CASE WHEN planned = 1 THEN 'running' ELSE 'queued' END, error = NULL, cancel_requested = 0,
      updated_at = @at WHERE id = @id`);
  const failedCount = db
    .prepare(`SELECT count(*) FROM job_items WHERE job_id = ? AND state = 'failed'`)
    .pluck();
  const complete = db.prepare(`UPDATE job_items SET state = @state, error = @error, lease_until = NULL
    WHERE id = @id AND worker = @worker`);
  const workers = db.prepare(`SELECT DISTINCT worker FROM job_items WHERE state = 'claimed'`).pluck();
  const remaining = db
    .prepare(`SELECT count(*) FROM job_items WHERE job_id = ? AND state IN ('pending', 'claimed')`)
    .pluck();
  const failedItems = db.prepare(`SELECT key, error FROM job_items WHERE job_id = ? AND state = 'failed'
    ORDER BY id LIMIT ?`);

  return {
    create(kind: JobKind, datasetId: number | null, params: Record<string, unknown>): number {
      const at = Date.now();
      return (insert.get({ kind, datasetId, params: JSON.stringify(params), at }) as { id: number }).id;
    },
    get(id: number): JobRecord | undefined {
      const row = byId.get(id) as JobRow | undefined;
      return row && toRecord(row);
    },
    list(q: { datasetId?: number; limit?: number }): JobRecord[] {
      return (list.all({ datasetId: q.datasetId ?? null, limit: q.limit ?? 50 }) as JobRow[]).map(toRecord);
    },
    /**
     * The oldest job still to run (queued, or running when its runner died): one of `woken`, or with `rest`
     * any other but a CLI command's (see markCommandJobs). Without arguments: any job of the app's own queue.
     */
    nextRunnable(woken: readonly number[] = [], rest = true): JobRecord | undefined {
      const row = runnable.get({ woken: JSON.stringify(woken), rest: rest ? 1 : 0 }) as JobRow | undefined;
      return row && toRecord(row);
    },
    /** Unfinished jobs that nextRunnable(woken, rest) does not return, oldest first: someone else's to run. */
    notRunnable(woken: readonly number[], rest: boolean): JobRecord[] {
      const rows = unwoken.all({ woken: JSON.stringify(woken), rest: rest ? 1 : 0 }) as JobRow[];
      return rows.map(toRecord);
    },
    /** Marks jobs as a CLI command's: the app's queue never resumes them unasked. Call inside a write. */
    markCommandJobs(ids: readonly number[]): void {
      for (const id of ids) markCommand.run(id);
    },
    setState(id: number, state: JobState, error: string | null = null): void {
      setState.run({ id, state, error, at: Date.now() });
    },
    /** Moves a job to `to` only from one of the `from` states; false when it was in another state. */
    transition(id: number, from: JobState[], to: JobState): boolean {
      return transition.run({ id, from: JSON.stringify(from), to, at: Date.now() }).changes === 1;
    },
    requestCancel(id: number): void {
      requestCancel.run({ id, at: Date.now() });
    },
    /** Adds work items (idempotent per key); call setPlanned once all are in. */
    addItems(jobId: number, keys: Iterable<string>): void {
      for (const key of keys) addItem.run(jobId, key);
    },
    setPlanned(id: number, total: number): void {
      setPlanned.run({ id, total, at: Date.now() });
    },
    setSummary(id: number, summary: Record<string, number>): void {
      setSummary.run({ id, summary: JSON.stringify(summary), at: Date.now() });
    },
    /** Sets one summary counter, leaving the others as they are in the row (not as a caller last read them). */
    setSummaryCounter(id: number, counter: string, value: number): void {
      putSummary.run({ id, counter, value, at: Date.now() });
    },
    /** Counts one finished item (done, failed, and a named summary counter such as `added`). */
    countItem(id: number, failed: boolean, counter: string): void {
      bump.run({ id, failed: failed ? 1 : 0, counter, at: Date.now() });
    },
    /** Adds n to a summary counter (e.g. faces found); call inside the item's commit. */
    addToSummary(id: number, counter: string, n: number): void {
      addSummary.run({ id, counter, n });
    },
    claim(jobId: number, worker: string, leaseMs: number): ClaimedItem | undefined {
      const now = Date.now();
      return claim.get({ jobId, worker, now, until: now + leaseMs }) as ClaimedItem | undefined;
    },
    /**
     * Claims one item by id (a queue delivered it): undefined when it is done, failed, or claimed by another
     * worker whose lease has not run out.
     */
    claimItem(itemId: number, worker: string, leaseMs: number): ClaimedItem | undefined {
      const now = Date.now();
      return claimOne.get({ id: itemId, worker, now, until: now + leaseMs }) as ClaimedItem | undefined;
    },
    /** Up to `limit` of a job's pending items (nobody claims them), in plan order. */
    pendingItemIds(jobId: number, limit: number): number[] {
      return pendingIds.all(jobId, limit) as number[];
    },
    /** An item's state (`pending`, `claimed`, `done`, `failed`), undefined when there is no such item. */
    itemState(itemId: number): string | undefined {
      return itemState.get(itemId) as string | undefined;
    },
    /** Returns one claimed item to the pool (`refund`: the claim does not count as an attempt). */
    releaseItem(itemId: number, worker: string, refund = false): boolean {
      return releaseOne.run({ id: itemId, worker, refund: refund ? 1 : 0 }).changes === 1;
    },
    /** A job's items not yet done or failed, in plan order. */
    unfinishedItems(jobId: number): { id: number; key: string }[] {
      return unfinished.all(jobId) as { id: number; key: string }[];
    },
    /** Planned, running jobs of these kinds that nobody asked to cancel, oldest first (a worker's work). */
    runningOfKinds(kinds: readonly string[]): JobRecord[] {
      return (runningOf.all({ kinds: JSON.stringify(kinds) }) as JobRow[]).map(toRecord);
    },
    /** Runners that hold claimed items right now. */
    claimedWorkers(): string[] {
      return (workers.all() as (string | null)[]).filter((w): w is string => w !== null);
    },
    /**
     * Returns a runner's claimed items to the pool at once (no need to wait for the lease). `refund`: the
     * runner stopped cleanly (shutdown), so the claim does not count as an attempt.
     */
    releaseWorker(worker: string, refund = false): number {
      return release.run({ worker, refund: refund ? 1 : 0 }).changes;
    },
    /** Jobs whose items a runner holds claimed. */
    jobsHeldBy(worker: string): number[] {
      return heldBy.all(worker) as number[];
    },
    /**
     * Runs a job again: its failed items go back to pending, every unfinished item's attempts start at 0, the
     * job's error and cancel request are cleared and it is runnable again. Call inside a write.
     */
    retry(id: number): void {
      const failed = failedCount.get(id) as number;
      resetItems.run(id);
      resetJob.run({ id, failed, at: Date.now() });
    },
    /** Marks an item done/failed; false when the claim was lost (another runner took it over). */
    complete(itemId: number, worker: string, state: 'done' | 'failed', error: string | null = null): boolean {
      return complete.run({ id: itemId, worker, state, error }).changes === 1;
    },
    remaining(jobId: number): number {
      return remaining.get(jobId) as number;
    },
    failedItems(jobId: number, limit = 100): { key: string; error: string | null }[] {
      return failedItems.all(jobId, limit) as { key: string; error: string | null }[];
    },
  };
}
export type JobsRepository = ReturnType<typeof createJobsRepository>;
