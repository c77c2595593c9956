// Messages between the job process's main thread and its model thread (model-thread-entry.ts).
import type { AppErrorData } from '../../shared/errors';
import type { ExecutionProviderRequest } from '../models/ep';
import type { Feeds } from '../models/runtime';

// The runtime's own tensor maps: any typed array ORT takes (batched runs take float32, see the entry).
export type { Feeds, Outputs } from '../models/runtime';

/** `workerData` of the model thread. */
export interface WorkerInit {
  bundledDir: string;
  userDir?: string;
  dataDir: string;
  provider: ExecutionProviderRequest;
  /** ORT threads per model run on this thread (see ModelThreads). */
  intraOpThreads?: number;
  /**
   * Models whose sessions the thread creates as soon as it starts, one after another, while the job's main thread
   * decodes the first photos: the first runs then find them ready instead of each waiting for its own load.
   */
  preload?: string[];
}

/** The recorded model runs replayed one after another: per model, runs, batch rows and milliseconds. */
export interface ReplayReport {
  byModel: Record<string, { calls: number; rows: number; ms: number }>;
  /** The same runs' time as they happened while recording (inside the pipeline). */
  inPipelineMs: number;
  /** Input bytes the recording kept. */
  recordedBytes: number;
}

export type WorkerRequest =
  /** With `batchSize`, the run joins the thread's cross-request batcher for that size; without, one plain run. */
  | { type: 'run'; id: number; modelId: string; feeds: Feeds; batchSize?: number }
  /** `reserveBytes`: memory for the recorded inputs, set aside before the recorded run starts. */
  | { type: 'record'; id: number; on: boolean; reserveBytes?: number }
  | { type: 'replay'; id: number }
  | { type: 'close'; id: number };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; error: AppErrorData }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: AppErrorData };
