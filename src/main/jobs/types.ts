// What a job kind implements: plan its items once, then process them one by one (each commit exactly once).
import type { JobKind } from '../../shared/api';
import type { DataPaths } from '../paths';
import type { ClaimedItem, JobRecord, Store } from '../store/index';

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
  /** Items in flight when the job's params do not say; 1 keeps commits (and so row ids) in plan order. */
  concurrency?: number;
  /**
   * Items depend on each other (each reads what the one before it committed): they run one at a time in plan
   * order whatever the job's params say, so an item that throws fails the job before later items start.
   */
  ordered?: boolean;
  plan(job: JobRecord, ctx: JobContext): Promise<Plan>;
  process(job: JobRecord, item: ClaimedItem, ctx: JobContext): Promise<ItemOutcome>;
}

export type JobHandlers = Partial<Record<JobKind, JobKindHandler>>;
