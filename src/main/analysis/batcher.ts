// Cross-image batching: concurrent analyses' model runs are queued per model and run together, one run at a time.
import { AppError } from '../../shared/errors';
import type { AnalysisRuntime, FloatFeeds, Tensor } from './runtime';

/**
 * Faces (or detector views) per model run when the caller does not say. Tuned with `npm run bench -- analyze`: on
 * the 2-core CPU machine ORT's per-item time hardly changes with the batch, so a moderate batch keeps the
 * latency of one image low while still folding the runs of images in flight together.
 */
export const DEFAULT_BATCH_SIZE = 8;

type Feeds = FloatFeeds;

interface Request {
  modelId: string;
  /** Model, input names and per-row shapes: only requests that agree on it share a run. */
  key: string;
  feeds: Feeds;
  /** Items (batch rows) of this request. */
  n: number;
  /** Rows already sent to a run. */
  sent: number;
  /** Rows whose outputs are back. */
  received: number;
  outputs: Record<string, { data: Float32Array; dims: number[] }> | null;
  resolve(out: Record<string, Tensor>): void;
  reject(err: unknown): void;
  failed: boolean;
}

/** A slice of one request that goes into a run. */
interface Part {
  req: Request;
  start: number;
  n: number;
}

export interface BatchingRuntime extends AnalysisRuntime {
  /** Largest number of rows per model run. */
  readonly batchSize: number;
}

/**
 * The analyzer's run order when several models wait: later pipeline stages first (heads and the selfie matte, then
 * facemesh, then the detector). An image whose model work is done goes on to its parsing map, its store and the
 * next image's decoding on the other thread while the detector passes of the images behind it keep the sessions
 * busy; first-come order instead lets images finish their model work together and leave the sessions idle.
 */
export function stagePriority(modelId: string): number {
  if (modelId === 'blazeface') return 0;
  if (modelId === 'facemesh') return 1;
  return 2;
}

/** Whether a runtime already shares runs across callers (has a batch size of its own). */
export function isBatching(rt: AnalysisRuntime): rt is BatchingRuntime {
  const size = (rt as Partial<BatchingRuntime>).batchSize;
  return typeof size === 'number' && Number.isInteger(size) && size >= 1;
}

function batchOf(modelId: string, feeds: Feeds): number {
  let n: number | undefined;
  for (const [name, t] of Object.entries(feeds)) {
    const b = t.dims[0];
    if (!Number.isInteger(b) || b! < 1) {
      throw new AppError('invalid_request', `Model "${modelId}" input "${name}": batch ${b}, expected >= 1`);
    }
    if (n !== undefined && n !== b) {
      throw new AppError(
        'invalid_request',
        `Model "${modelId}": inputs disagree on the batch size (${n}, ${b})`,
      );
    }
    n = b!;
  }
  if (n === undefined) throw new AppError('invalid_request', `Model "${modelId}": no inputs`);
  return n;
}

/**
 * Wraps a runtime so that model runs from concurrent `analyze` calls share batches: requests wait in one queue,
 * and whenever no run is going, the model with the oldest waiting request (among those of the highest `priority`)
 * runs on up to `batchSize` rows taken from its waiting requests in arrival order (a large request spans several
 * runs). Only one run is in flight at a
 * time, so concurrent images never make ORT sessions fight over the cores; their decoding (sharp's own threads)
 * and JS pre- and post-processing happen between runs. Each request gets exactly the rows it sent, so a batch of
 * N equals N runs of one wherever the model itself is batch-invariant.
 */
export function batchingRuntime(
  inner: AnalysisRuntime,
  batchSize = DEFAULT_BATCH_SIZE,
  priority: (modelId: string) => number = () => 0,
): BatchingRuntime {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new AppError('invalid_request', `batch size must be a positive integer, got ${batchSize}`, {
      where: { field: 'batchSize' },
    });
  }
  const queue: Request[] = [];
  let running = false;
  let scheduled = false;

  function schedule(): void {
    if (running || scheduled || queue.length === 0) return;
    scheduled = true;
    // One turn of the event loop first, so requests issued together (several images reaching the same stage)
    // join the same run.
    setImmediate(() => {
      scheduled = false;
      void pump();
    });
  }

  function take(): Part[] {
    // The oldest request of the highest-priority model waiting.
    let first = queue[0]!;
    for (const req of queue) if (priority(req.modelId) > priority(first.modelId)) first = req;
    const key = first.key;
    const parts: Part[] = [];
    let rows = 0;
    for (const req of queue) {
      if (rows >= batchSize) break;
      if (req.key !== key || req.sent >= req.n) continue;
      const n = Math.min(req.n - req.sent, batchSize - rows);
      parts.push({ req, start: req.sent, n });
      req.sent += n;
      rows += n;
    }
    return parts;
  }

  function feedsFor(parts: Part[]): Feeds {
    const first = parts[0]!.req;
    if (parts.length === 1 && parts[0]!.n === first.n) return first.feeds;
    const rows = parts.reduce((a, p) => a + p.n, 0);
    const feeds: Feeds = {};
    for (const [name, t] of Object.entries(first.feeds)) {
      const per = t.data.length / first.n;
      const data = new Float32Array(rows * per);
      let offset = 0;
      for (const p of parts) {
        // Same key as the first request: same inputs, same shape per row.
        const src = p.req.feeds[name]!;
        data.set(src.data.subarray(p.start * per, (p.start + p.n) * per), offset);
        offset += p.n * per;
      }
      feeds[name] = { data, dims: [rows, ...t.dims.slice(1)] };
    }
    return feeds;
  }

  function deliver(parts: Part[], out: Record<string, Tensor>): void {
    const rows = parts.reduce((a, p) => a + p.n, 0);
    let row = 0;
    for (const p of parts) {
      const req = p.req;
      if (!req.failed) {
        req.outputs ??= {};
        for (const [name, t] of Object.entries(out)) {
          if (!(t.data instanceof Float32Array) || t.dims[0] !== rows) {
            throw new AppError(
              'model_error',
              `Model "${req.modelId}" output "${name}" is not a float32 batch of ${rows} rows`,
            );
          }
          const per = t.data.length / rows;
          let dst = req.outputs[name];
          if (!dst) {
            dst = { data: new Float32Array(req.n * per), dims: [req.n, ...t.dims.slice(1)] };
            req.outputs[name] = dst;
          }
          dst.data.set(t.data.subarray(row * per, (row + p.n) * per), p.start * per);
        }
      }
      row += p.n;
      req.received += p.n;
      if (req.received === req.n) {
        queue.splice(queue.indexOf(req), 1);
        if (!req.failed) req.resolve(req.outputs ?? {});
      }
    }
  }

  function fail(parts: Part[], err: unknown): void {
    for (const p of parts) {
      const req = p.req;
      req.received += p.n;
      if (!req.failed) {
        req.failed = true;
        req.reject(err);
      }
      // Rows not sent yet are dropped with their request.
      req.sent = req.n;
      req.received = req.n;
      const i = queue.indexOf(req);
      if (i >= 0) queue.splice(i, 1);
    }
  }

  async function pump(): Promise<void> {
    if (running || queue.length === 0) return;
    running = true;
    const parts = take();
    try {
      const feeds = feedsFor(parts);
      const out = await inner.run(parts[0]!.req.modelId, feeds);
      deliver(parts, out);
    } catch (err) {
      fail(parts, err);
    } finally {
      running = false;
      schedule();
    }
  }

  return {
    batchSize,
    modelVersion: (id) => inner.modelVersion(id),
    hasModel: (id) => inner.hasModel(id),
    run(modelId, feeds) {
      return new Promise((resolve, reject) => {
        const n = batchOf(modelId, feeds);
        const key = [
          modelId,
          ...Object.entries(feeds)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([name, t]) => `${name}:${t.dims.slice(1).join('x')}:${t.data.length / n}`),
        ].join('\u0000');
        queue.push({
          modelId,
          key,
          feeds,
          n,
          sent: 0,
          received: 0,
          outputs: null,
          resolve,
          reject,
          failed: false,
        });
        schedule();
      });
    },
  };
}
