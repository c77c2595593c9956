// The model thread: one ModelRuntime (the ORT sessions) inside a worker_threads thread of the job process.
// onnxruntime-node runs `session.run` synchronously on the thread that calls it, so the sessions live here and the
// job process's main thread keeps preparing the next inputs (decode, crops, parsing maps) while a model runs.
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../shared/errors';
import { analysisRuntime, type AnalysisRuntime, type FloatFeeds } from './runtime';
import { batchingRuntime, stagePriority, type BatchingRuntime } from './batcher';
import { loadRegistry } from '../models/registry';
import { ModelRuntime } from '../models/runtime';
import type { ReplayReport, WorkerInit, WorkerReply, WorkerRequest, Feeds } from './model-thread-protocol';

const port = parentPort;
if (!port) throw new Error('model-thread-entry runs as a worker thread');

interface Recorded {
  modelId: string;
  feeds: FloatFeeds;
  rows: number;
  ms: number;
}

/** Batched runs concatenate rows, which the batcher does for float32 inputs (every bundled model's). */
function floatFeeds(modelId: string, feeds: Feeds): FloatFeeds {
  for (const [name, t] of Object.entries(feeds)) {
    if (!(t.data instanceof Float32Array)) {
      throw new AppError(
        'invalid_request',
        `Model "${modelId}" input "${name}": batched runs take float32 inputs`,
      );
    }
  }
  return feeds as FloatFeeds;
}

/** Float32 memory handed out in order from chunks allocated and touched up front (more chunks if it runs out). */
class Tape {
  static readonly CHUNK = 16 << 20; // floats (64 MB)
  readonly #chunks: Float32Array[] = [];
  #used = 0;
  bytes = 0;

  constructor(reserveBytes: number) {
    if (reserveBytes > 0) this.#grow(Math.ceil(reserveBytes / 4));
  }

  #grow(min: number): void {
    // fill() writes every page now, so copying onto the tape later faults no page in.
    this.#chunks.push(new Float32Array(Math.max(min, Tape.CHUNK)).fill(0));
    this.#used = 0;
  }

  copy(data: Float32Array): Float32Array {
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (!chunk || this.#used + data.length > chunk.length) {
      this.#grow(data.length);
      chunk = this.#chunks[this.#chunks.length - 1]!;
    }
    const out = chunk.subarray(this.#used, this.#used + data.length);
    out.set(data);
    this.#used += data.length;
    this.bytes += data.byteLength;
    return out;
  }
}

async function main(init: WorkerInit): Promise<void> {
  const registry = await loadRegistry({
    bundledDir: init.bundledDir,
    ...(init.userDir ? { userDir: init.userDir } : {}),
  });
  const runtime = new ModelRuntime({
    registry,
    dataDir: init.dataDir,
    provider: init.provider,
    ...(init.intraOpThreads ? { intraOpThreads: init.intraOpThreads } : {}),
  });
  const base = analysisRuntime(runtime, registry);

  // `npm run bench -- analyze`: every model run as it reaches ORT (after batching), its inputs copied onto a tape
  // of memory reserved and touched beforehand, replayed later through the same sessions. Keeping the inputs
  // themselves instead would keep every transferred buffer alive, so the main thread's allocator could not reuse
  // them and each new input would land on fresh pages: that slowed the recorded pipeline by ~10 %.
  let recording: Recorded[] | null = null;
  let tape: Tape | null = null;
  const recorded: AnalysisRuntime = {
    ...base,
    async run(modelId, feeds) {
      if (!recording || !tape) return base.run(modelId, feeds);
      const calls = recording;
      const t = performance.now();
      const out = await base.run(modelId, feeds);
      const ms = performance.now() - t;
      const kept: FloatFeeds = {};
      for (const [name, f] of Object.entries(feeds)) kept[name] = { data: tape.copy(f.data), dims: f.dims };
      calls.push({ modelId, feeds: kept, rows: Object.values(feeds)[0]?.dims[0] ?? 0, ms });
      return out;
    },
  };
  // One batcher per batch size, all on the same sessions; a run request names its batch size.
  const batchers = new Map<number, BatchingRuntime>();
  const batcher = (size: number) => {
    let b = batchers.get(size);
    if (!b) batchers.set(size, (b = batchingRuntime(recorded, size, stagePriority)));
    return b;
  };

  const reply = (msg: WorkerReply, transfer: ArrayBuffer[] = []) => {
    try {
      port!.postMessage(msg, transfer);
    } catch {
      // A buffer ORT owns cannot be detached: send a copy.
      port!.postMessage(msg);
    }
  };

  async function replay(): Promise<ReplayReport> {
    const calls = recording ?? [];
    const recordedBytes = tape?.bytes ?? 0;
    recording = null;
    tape = null;
    const byModel: ReplayReport['byModel'] = {};
    let inPipelineMs = 0;
    for (const c of calls) {
      inPipelineMs += c.ms;
      const t = performance.now();
      await base.run(c.modelId, c.feeds);
      const ms = performance.now() - t;
      const r = (byModel[c.modelId] ??= { calls: 0, rows: 0, ms: 0 });
      r.calls++;
      r.rows += c.rows;
      r.ms += ms;
    }
    return { byModel, inPipelineMs, recordedBytes };
  }

  async function handle(msg: WorkerRequest): Promise<void> {
    try {
      switch (msg.type) {
        case 'run': {
          const out =
            msg.batchSize === undefined
              ? await runtime.run(msg.modelId, msg.feeds)
              : await batcher(msg.batchSize).run(msg.modelId, floatFeeds(msg.modelId, msg.feeds));
          const transfer: ArrayBuffer[] = [];
          for (const t of Object.values(out)) {
            // Outputs are this thread's own arrays: hand the memory over instead of copying it.
            const buf = t.data.buffer;
            if (buf instanceof ArrayBuffer && !transfer.includes(buf)) transfer.push(buf);
          }
          reply({ type: 'result', id: msg.id, ok: true, value: out }, transfer);
          return;
        }
        case 'record':
          recording = msg.on ? [] : null;
          tape = msg.on ? new Tape(msg.reserveBytes ?? 0) : null;
          reply({ type: 'result', id: msg.id, ok: true, value: null });
          return;
        case 'replay':
          reply({ type: 'result', id: msg.id, ok: true, value: await replay() });
          return;
        case 'close':
          await runtime.dispose();
          reply({ type: 'result', id: msg.id, ok: true, value: null });
          port!.close();
          return;
      }
    } catch (err) {
      reply({ type: 'result', id: msg.id, ok: false, error: AppError.from(err).toJSON() });
    }
  }

  port!.on('message', (msg: WorkerRequest) => void handle(msg));
  reply({ type: 'ready' });
  // A failed load is not an error yet: the first run of that model loads again and reports it. `close` waits for
  // these loads (runtime.dispose settles every pending session), so none is cut off mid-creation.
  for (const id of init.preload ?? []) await runtime.load(id).catch(() => undefined);
}

main(workerData as WorkerInit).catch((err: unknown) => {
  port.postMessage({ type: 'failed', error: AppError.from(err).toJSON() } satisfies WorkerReply);
});
