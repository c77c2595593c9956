// What a job kind implements: plan its items once, then process them one by one (each commit exactly once).
import type { JobKind } from '../../shared/api';
import type { DataPaths } from '../paths';
import type { ClaimedItem, ItemQueue, JobRecord, Store } from '../store/index';
import type { ExecutionProviderRequest } from '../../shared/api';

export interface JobContext {
  store: Store;
  paths: DataPaths;
  /** Identifies this runner in item claims (`runner-<pid>`). */
  worker: string;
  signal: AbortSignal;
  /** Frees the claims of runners that died on this machine (called while waiting on another runner's items). */
  releaseDead?: () => void;
  /** The API key of an MLLM endpoint (never stored in the database), or null. */
  secret?: (endpointId: string) => string | null;
  /** PostgreSQL: the team queue (pg-boss) that hands out every job's items (workers take `distributed` kinds only). */
  queue?: ItemQueue;
  /** Leave `distributed` kinds' items to `faceinsight worker`s: plan, enqueue and follow, process none. */
  dispatchOnly?: boolean;
  /** A `worker`'s machine: where the database's dataset roots are here (--root-map); the path itself if unmapped. */
  mapRoot?: (root: string) => string;
  /**
   * A `worker` without the dataset folder: an image's bytes from the team server's asset route (--server, with
   * the worker's user token), instead of the file under its dataset root.
   */
  readImage?: (imageId: number) => Promise<Buffer>;
  /** A `worker`'s execution provider (--ep), over the job's own. */
  ep?: ExecutionProviderRequest;
}

export interface Plan {
  keys: string[];
  /** Initial summary counters (e.g. files skipped while walking). */
  summary?: Record<string, number>;
}

export interface ItemOutcome {
  /** Summary counter to bump, e.g. `added`, `unchanged`, `errors`. */
  counter: string;
  /** Item-level failure reason (recorded on the item; the job goes on). */
  error?: string;
  /** Database writes of this item, run in the same transaction that marks the item done or failed. */
  commit?: () => void;
}

export interface JobKindHandler {
  /** Items in flight when the job's params do not say. */
  concurrency?: number;
  /**
   * Items are processed side by side but committed in plan order (each waits for the one claimed before it), so
   * row ids follow the plan (import: image ids follow the sorted paths, which the gallery pages by).
   */
  commitInOrder?: boolean;
  /**
   * Items depend on each other (each reads what the one before it committed): they run one at a time in plan
   * order whatever the job's params say, so an item that throws fails the job before later items start.
   */
  ordered?: boolean;
  /**
   * `faceinsight worker`s on other machines take its items from the team queue too (analyze); the items of other
   * kinds go through the queue as well on PostgreSQL, but only the server's own job process takes them.
   */
  distributed?: boolean;
  plan(job: JobRecord, ctx: JobContext): Promise<Plan>;
  process(job: JobRecord, item: ClaimedItem, ctx: JobContext): Promise<ItemOutcome>;
}

export type JobHandlers = Partial<Record<JobKind, JobKindHandler>>;
