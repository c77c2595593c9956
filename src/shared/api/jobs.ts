// Jobs as the API shows them: kinds, states, reports; jobs.*.
import type { AppErrorData } from '../errors';

export type JobKind =
  | 'import'
  | 'annotations'
  | 'export'
  | 'reevaluate-rules'
  | 'analyze'
  | 'train'
  | 'identities'
  | 'mllm-audit';

/** What an annotations or export job found: refusing errors, skipped-row warnings (file, line), files written. */
export interface JobReport {
  errors: AppErrorData[];
  warnings: AppErrorData[];
  warningCount: number;
  files: string[];
  counts: Record<string, number>;
}

export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface Job {
  id: number;
  kind: JobKind;
  datasetId: number | null;
  state: JobState;
  done: number;
  total: number;
  /** Items that ended in an error (e.g. undecodable images). */
  failed: number;
  error: string | null;
  /** Kind-specific counters, e.g. `{ added, unchanged, errors, skipped }` for an import. */
  summary: Record<string, number>;
  createdAt: number;
  updatedAt: number;
}

export type JobsApi = {
  /** Recent jobs, newest first. */
  'jobs.list': { req: { datasetId?: number; limit?: number }; res: { items: Job[] } };
  /** One job. */
  'jobs.get': { req: { id: number }; res: Job };
  /** A job's failed items with their reasons (file paths for import and analyze jobs). */
  'jobs.failures': {
    req: { id: number; limit?: number };
    res: { items: { key: string; label: string; error: string | null }[] };
  };
  /** Pauses a queued or running job after the items in flight; `jobs.resume` continues it. */
  'jobs.pause': { req: { id: number }; res: Job };
  /** Continues a paused job (or a failed one's remaining items). */
  'jobs.resume': { req: { id: number }; res: Job };
  /** Asks a queued or running job to stop after the item in flight. */
  'jobs.cancel': { req: { id: number }; res: Job };
  /**
   * Runs a failed, cancelled or unfinished job again: its failed and pending items are processed anew with their
   * attempts reset (an item is given up after 3 claims that each ended with its job process dying).
   */
  'jobs.retry': { req: { id: number }; res: Job };
  /** An annotations or export job's report (null while it runs or for other kinds). */
  'jobs.report': { req: { id: number }; res: { report: JobReport | null } };
};
