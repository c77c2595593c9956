// The job process's model thread, seen from its main thread: model runs posted to a worker_threads thread that owns
// the ORT sessions, so inference (synchronous on the thread that calls it) overlaps decoding and JS preprocessing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../shared/errors';
import type { BatchingRuntime } from './batcher';
import { projectRoot } from '../paths';
import type { ModelRegistry } from '../models/registry';
import type {
  Feeds,
  Outputs,
  ReplayReport,
  WorkerInit,
  WorkerReply,
  WorkerRequest,
} from './model-thread-protocol';

export type { ReplayReport } from './model-thread-protocol';

/**
 * The model thread's script: the built one next to out/main, else the TypeScript source behind a small ESM
 * bootstrap that registers tsx inside the thread (Node 20 does not apply `--import` hooks to a worker's entry).
 */
export function modelThreadEntry(): { file: string; data: Record<string, string> } {
  const root = projectRoot();
  const built = join(root, 'out', 'main', 'model-thread.js');
  // Electron starts workers from inside app.asar (electron/electron#33216), so the packaged path works as it is.
  if (!import.meta.url.endsWith('.ts') && existsSync(built)) return { file: built, data: {} };
  return {
    file: join(root, 'src', 'main', 'analysis', 'ts-worker-boot.mjs'),
    data: { entry: pathToFileURL(join(root, 'src', 'main', 'analysis', 'model-thread-entry.ts')).href },
  };
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** Buffers to hand over with a request: a typed array that is its whole buffer moves; a view into a larger one is copied. */
function ownedFeeds(feeds: Feeds): { feeds: Feeds; transfer: ArrayBuffer[] } {
  const out: Feeds = {};
  const transfer: ArrayBuffer[] = [];
  for (const [name, t] of Object.entries(feeds)) {
    let data = t.data;
    const whole =
      data.buffer instanceof ArrayBuffer &&
      data.byteOffset === 0 &&
      data.byteLength === data.buffer.byteLength;
    if (!whole || transfer.includes(data.buffer as ArrayBuffer)) data = data.slice();
    transfer.push(data.buffer as ArrayBuffer);
    out[name] = { data, dims: [...t.dims] };
  }
  return { feeds: out, transfer };
}

/** An analyzer's runtime over model threads for one batch size: runs join the threads' batchers for that size. */
function batchingView(
  threads: { run(modelId: string, feeds: Feeds, batchSize?: number): Promise<Outputs> },
  registry: ModelRegistry,
  batchSize: number,
): BatchingRuntime {
  return {
    batchSize,
    run: (modelId, feeds) => threads.run(modelId, feeds, batchSize),
    modelVersion: (id) => registry.get(id).manifest.version,
    hasModel: (id) => registry.has(id),
  };
}

/**
 * One model thread: a ModelRuntime (one ORT session per model) on a worker thread, with the cross-image batcher
 * running there too, so a run starts the moment the previous one ends, whatever the main thread is doing.
 *
 * Ownership: `run` takes its feeds. An input array that spans its whole ArrayBuffer is transferred (it is detached
 * here afterwards, length 0); any other is copied. Every model input the analyzer builds is a fresh array.
 */
export class ModelThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #seq = 0;
  #dead: AppError | null = null;
  readonly #onExit = new Set<(err: AppError) => void>();

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (msg: WorkerReply) => {
      if (msg.type !== 'result') return;
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (msg.ok) p.resolve(msg.value);
      else p.reject(AppError.fromData(msg.error));
    });
    worker.unref();
    worker.on('error', (err) => this.#stop(err));
    worker.on('exit', (code) => this.#stop(new Error(`exit code ${code}`)));
  }

  /** Starts the thread; resolves once its model registry has loaded (sessions load on first use). */
  static start(init: WorkerInit): Promise<ModelThread> {
    const { file, data } = modelThreadEntry();
    const worker = new Worker(file, {
      workerData: { ...init, ...data },
      // The thread needs no command-line hooks of its own (the bootstrap registers tsx where needed).
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    return new Promise((resolve, reject) => {
      const onMessage = (msg: WorkerReply) => {
        if (msg.type === 'ready') {
          cleanup();
          resolve(new ModelThread(worker));
        } else if (msg.type === 'failed') {
          cleanup();
          void worker.terminate();
          reject(AppError.fromData(msg.error));
        }
      };
      const onError = (err: Error) => {
        cleanup();
        reject(new AppError('model_error', `The model thread did not start: ${err.message}`));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new AppError('model_error', `The model thread exited while starting (code ${code})`));
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  #stop(err: Error): void {
    if (this.#dead) return;
    this.#dead = new AppError('model_error', `The model thread stopped: ${err.message}`);
    for (const p of this.#pending.values()) p.reject(this.#dead);
    this.#pending.clear();
    for (const f of this.#onExit) f(this.#dead);
  }

  /** Called once if the thread stops (crash, close): every pending and later request fails. */
  onStop(f: (err: AppError) => void): void {
    this.#onExit.add(f);
  }

  #request<T>(msg: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise<T>((resolve, reject) => {
      // The thread keeps the process alive only while it has work.
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(msg.id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage(msg, transfer);
    });
  }

  /** One model run; with `batchSize`, it shares runs with other requests of the same model (see batcher.ts). */
  run(modelId: string, feeds: Feeds, batchSize?: number): Promise<Outputs> {
    // A buffer already handed to the thread is detached (length 0): fail here rather than let the run wait forever.
    for (const [name, t] of Object.entries(feeds)) {
      const want = t.dims.reduce((a, b) => a * b, 1);
      if (t.data.length !== want)
        return Promise.reject(
          new AppError(
            'internal',
            `${modelId}: input "${name}" holds ${t.data.length} values for dims [${t.dims.join(', ')}]` +
              (t.data.length === 0 ? ' (its buffer was already handed to the model thread)' : ''),
          ),
        );
    }
    const owned = ownedFeeds(feeds);
    const msg: WorkerRequest = { type: 'run', id: ++this.#seq, modelId, feeds: owned.feeds };
    if (batchSize !== undefined) msg.batchSize = batchSize;
    return this.#request<Outputs>(msg, owned.transfer);
  }

  /** The analyzer's view of this thread for one batch size (batching happens in the thread). */
  batching(registry: ModelRegistry, batchSize: number): BatchingRuntime {
    return batchingView(this, registry, batchSize);
  }

  /**
   * Benchmark: keep (on) or drop (off) a copy of every model run from now on, as ORT receives it; `reserveBytes`
   * of memory for the copies is set aside first, so recording costs the run as little as possible.
   */
  record(on: boolean, reserveBytes = 0): Promise<void> {
    return this.#request<void>({ type: 'record', id: ++this.#seq, on, reserveBytes });
  }

  /** Benchmark: runs the recorded model calls again, one after another, through the same sessions. */
  replay(): Promise<ReplayReport> {
    return this.#request<ReplayReport>({ type: 'replay', id: ++this.#seq });
  }

  /** Releases the sessions and ends the thread. */
  async close(): Promise<void> {
    if (this.#dead) return;
    await this.#request<void>({ type: 'close', id: ++this.#seq }).catch(() => undefined);
    await this.#worker.terminate();
  }
}

/**
 * The models that run on the second model thread when there are two: the two per-face heads with the most
 * arithmetic per row. Replayed on 24 demo photos (`npm run bench -- analyze`) they took 184 ms an image against
 * 175 ms for the rest (the detector's passes 130, the selfie matte 17, facemesh 15, face-api's two heads 13; plus
 * mobilefacenet's 28 where a dataset asks for it), so the two threads stay about equally busy.
 */
const SECOND_THREAD_MODELS: ReadonlySet<string> = new Set(['gear', 'faceres']);

/** Model threads for this machine: two where there are two cores or more (ORT's threads split between them). */
export function modelThreadPlan(cores = availableParallelism()): { threads: number; intraOpThreads: number } {
  const threads = cores >= 2 ? 2 : 1;
  return { threads, intraOpThreads: Math.max(1, Math.floor((cores - 1) / threads)) };
}

/** Which of `threads` model threads runs a model. */
function threadIndex(threads: number, modelId: string): number {
  return threads > 1 && SECOND_THREAD_MODELS.has(modelId) ? 1 : 0;
}

/**
 * The job process's model threads. onnxruntime-node runs a session synchronously on its calling thread and ORT's
 * own threads help only within one operator, so a second thread lets two model runs proceed at once: the heads of
 * one image while the detector reads the next. Each model lives on exactly one thread (SECOND_THREAD_MODELS on the
 * second, the rest on the first), so every model's cross-image batching and its single session stay as they were.
 */
export class ModelThreads {
  readonly #threads: ModelThread[];

  private constructor(threads: ModelThread[]) {
    this.#threads = threads;
  }

  static async start(init: WorkerInit, plan = modelThreadPlan()): Promise<ModelThreads> {
    // Each thread preloads the models it will run.
    const preload = (k: number) => init.preload?.filter((id) => threadIndex(plan.threads, id) === k) ?? [];
    const started = await Promise.allSettled(
      Array.from({ length: plan.threads }, (_, k) =>
        ModelThread.start({ ...init, intraOpThreads: plan.intraOpThreads, preload: preload(k) }),
      ),
    );
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((t) => t.close()));
      throw failed.reason;
    }
    return new ModelThreads(ok);
  }

  /** How many threads run models. */
  get size(): number {
    return this.#threads.length;
  }

  #threadOf(modelId: string): ModelThread {
    return this.#threads[threadIndex(this.#threads.length, modelId)]!;
  }

  /** Called once when any thread stops: the pool is no use without it. */
  onStop(f: (err: AppError) => void): void {
    let called = false;
    for (const t of this.#threads) {
      t.onStop((err) => {
        if (called) return;
        called = true;
        f(err);
      });
    }
  }

  run(modelId: string, feeds: Feeds, batchSize?: number): Promise<Outputs> {
    return this.#threadOf(modelId).run(modelId, feeds, batchSize);
  }

  batching(registry: ModelRegistry, batchSize: number): BatchingRuntime {
    return batchingView(this, registry, batchSize);
  }

  async record(on: boolean, reserveBytes = 0): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.record(on, reserveBytes / this.#threads.length)));
  }

  /** Every thread's recorded runs replayed (each thread's one after another, the threads one after the other). */
  async replay(): Promise<ReplayReport> {
    const out: ReplayReport = { byModel: {}, inPipelineMs: 0, recordedBytes: 0 };
    for (const t of this.#threads) {
      const r = await t.replay();
      out.inPipelineMs += r.inPipelineMs;
      out.recordedBytes += r.recordedBytes;
      for (const [id, m] of Object.entries(r.byModel)) {
        const o = (out.byModel[id] ??= { calls: 0, rows: 0, ms: 0 });
        o.calls += m.calls;
        o.rows += m.rows;
        o.ms += m.ms;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.close()));
  }
}
