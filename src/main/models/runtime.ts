// Inference runtime: one cached ORT session per model, manifest checks at load and per run, batching, class maps.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { AppError } from '../../shared/errors';
import { canonicalClassIds, CELEBAMASK_HQ_CLASSES, type Manifest, type ManifestInput } from './manifest';
import {
  chooseExecutionProvider,
  chooseModelProvider,
  shortOrtMessage,
  type ChooseOptions,
  type EpDecision,
  type ExecutionProvider,
  type ExecutionProviderRequest,
  type ModelChooseOptions,
  type WarmupInput,
} from './ep';
import type { ModelEntry, ModelRegistry } from './registry';

/** A tensor as plain data, so callers outside models/ never touch onnxruntime-node types. */
export interface TensorData {
  data: Float32Array | Uint8Array | Int32Array | BigInt64Array;
  dims: readonly number[];
}
export type Feeds = Record<string, TensorData>;
export type Outputs = Record<string, TensorData>;

export interface RuntimeOptions {
  registry: ModelRegistry;
  /** App data dir: holds ep.json, the cached provider decision. */
  dataDir: string;
  provider?: ExecutionProviderRequest;
  /** Passed on to the provider choice (tests inject the backend list / adapter check). */
  choose?: Omit<ChooseOptions, 'dataDir'> & Pick<ModelChooseOptions, 'probe'>;
  /** Threads per model run (ORT's intra-op pool); default: every core but one (see INTRA_OP_THREADS). */
  intraOpThreads?: number;
}

/** What a loaded model runs on; `reason` says why when it is not the runtime's provider. */
export interface LoadedModelInfo {
  id: string;
  provider: ExecutionProvider;
  reason: string;
  /** A batch size the graph hard-codes (e.g. 1), or undefined when the batch dimension is dynamic. */
  fixedBatch?: number;
}

interface Loaded extends LoadedModelInfo {
  session: ort.InferenceSession;
  entry: ModelEntry;
}

type TensorType = 'float32' | 'uint8' | 'int32' | 'int64';

function tensorType(data: TensorData['data']): TensorType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int32Array) return 'int32';
  return 'int64';
}

const fmt = (dims: readonly (number | string)[]) => `[${dims.join(', ')}]`;

/** The shape a manifest input expects, with N for the batch. */
function expectedDims(input: ManifestInput): (number | 'N')[] {
  const [h, w] = input.size;
  return input.layout === 'NHWC' ? ['N', h, w, input.channels] : ['N', input.channels, h, w];
}

function axisName(layout: ManifestInput['layout'], axis: number): string {
  const names =
    layout === 'NHWC' ? ['batch', 'height', 'width', 'channels'] : ['batch', 'channels', 'height', 'width'];
  return names[axis] ?? `axis ${axis}`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function mismatch(
  entry: ModelEntry,
  field: string,
  what: string,
  expected: string[],
  actual: readonly string[],
) {
  return new AppError(
    'model_error',
    `Model "${entry.id}" does not match its manifest: ${what} expected ${fmt(expected)}, the model has ${fmt(actual)}`,
    {
      where: { file: entry.manifestPath, field },
      hint: `fix "${field}" in the manifest to name the model's ${what}`,
    },
  );
}

/** Checks names and static dimensions of the ONNX graph against the manifest; returns a fixed batch size if any. */
function validateSession(session: ort.InferenceSession, entry: ModelEntry): number | undefined {
  const m = entry.manifest;
  const inputNames = m.inputs.map((i) => i.name);
  if (!sameSet(inputNames, session.inputNames)) {
    throw mismatch(entry, 'inputs', 'inputs', inputNames, session.inputNames);
  }
  const outputNames = Object.keys(m.outputs);
  if (!sameSet(outputNames, session.outputNames)) {
    throw mismatch(entry, 'outputs', 'outputs', outputNames, session.outputNames);
  }
  let fixedBatch: number | undefined;
  m.inputs.forEach((input, k) => {
    const meta = session.inputMetadata.find((x) => x.name === input.name);
    if (!meta?.isTensor || meta.shape.length === 0) return;
    const expected = expectedDims(input);
    const problem = (field: string, detail: string) =>
      new AppError(
        'model_error',
        `Model "${entry.id}" input "${input.name}" is ${fmt(meta.shape)} in the ONNX file, but the manifest says ` +
          `${fmt(expected)} (${input.layout}): ${detail}`,
        { where: { file: entry.manifestPath, field: `inputs[${k}].${field}` } },
      );
    if (meta.shape.length !== 4) throw problem('layout', `rank ${meta.shape.length}, expected 4`);
    if (meta.type !== input.dtype) throw problem('dtype', `type ${meta.type}, expected ${input.dtype}`);
    for (let axis = 1; axis < 4; axis++) {
      const actual = meta.shape[axis];
      if (input.anySize && axisName(input.layout, axis) !== 'channels') {
        if (typeof actual === 'number' && actual > 0) {
          throw problem(
            'anySize',
            `${axisName(input.layout, axis)} ${actual} is fixed, but the manifest says anySize`,
          );
        }
        continue;
      }
      if (typeof actual === 'number' && actual > 0 && actual !== expected[axis]) {
        const name = axisName(input.layout, axis);
        throw problem(
          name === 'channels' ? 'channels' : 'size',
          `${name} ${actual}, expected ${expected[axis]}`,
        );
      }
    }
    const batch = meta.shape[0];
    if (typeof batch === 'number' && batch > 0) fixedBatch = batch;
  });
  if (m.task === 'face-parsing') {
    const first = outputNames[0]!;
    const meta = session.outputMetadata.find((x) => x.name === first);
    const classes = Object.keys(m.classMap ?? {}).length;
    if (meta?.isTensor && meta.shape.length === 4) {
      const axis = m.inputs[0]!.layout === 'NCHW' ? 1 : 3;
      const c = meta.shape[axis];
      if (typeof c === 'number' && c > 0 && c !== classes) {
        throw new AppError(
          'model_error',
          `Model "${entry.id}" output "${first}" has ${c} classes, but classMap maps ${classes}`,
          { where: { file: entry.manifestPath, field: 'classMap' } },
        );
      }
    }
  }
  for (const [out, labels] of Object.entries(m.labels ?? {})) {
    const meta = session.outputMetadata.find((x) => x.name === out);
    if (!meta?.isTensor || meta.shape.length !== 2) continue;
    const n = meta.shape[1];
    if (typeof n === 'number' && n > 0 && n !== labels.length) {
      throw new AppError(
        'model_error',
        `Model "${entry.id}" output "${out}" has ${n} scores, but labels.${out} lists ${labels.length} names`,
        { where: { file: entry.manifestPath, field: `labels.${out}` } },
      );
    }
  }
  return fixedBatch;
}

function missingFileError(entry: ModelEntry): AppError {
  const hint =
    entry.origin === 'bundled'
      ? 'run npm run models'
      : `copy the model's .onnx next to its manifest as "${entry.manifest.file}"`;
  return new AppError('model_error', `Model "${entry.id}": ${entry.modelPath} not found`, {
    where: { file: entry.manifestPath, field: 'file' },
    hint,
  });
}

function loadError(entry: ModelEntry, err: unknown): AppError {
  const hint =
    entry.origin === 'bundled'
      ? 'the file may be truncated or corrupt: run npm run models to regenerate it'
      : 'the file may be truncated or not an ONNX model: copy it again';
  return new AppError(
    'model_error',
    `Model "${entry.id}": cannot load ${entry.modelPath}: ${shortOrtMessage(err)}`,
    {
      where: { file: entry.manifestPath, field: 'file' },
      hint,
    },
  );
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The manifest's inputs as warm-up shapes (batch axis left out). */
function warmupInputs(entry: ModelEntry): WarmupInput[] {
  return entry.manifest.inputs.map((i) => ({
    name: i.name,
    shape: i.layout === 'NHWC' ? [...i.size, i.channels] : [i.channels, ...i.size],
    dtype: i.dtype,
  }));
}

/**
 * One core is left to the thread that prepares model inputs and draws parsing maps, and ORT's threads do not spin
 * while they wait for work: on the 2-core build machine spinning took 75 % more CPU time for the same analysis
 * (`faceinsight analyze` of 60 photos: 82.8 s user with spinning and 2 threads, 47.1 s without and 1 thread, wall
 * 51.1 s vs 33.9 s).
 */
export const INTRA_OP_THREADS = Math.max(1, availableParallelism() - 1);

const sessionOptions = (
  provider: ExecutionProvider,
  threads: number,
): ort.InferenceSession.SessionOptions => ({
  executionProviders: [provider],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: threads,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});

export class ModelRuntime {
  readonly #opts: RuntimeOptions;
  #request: ExecutionProviderRequest;
  #decision: Promise<EpDecision> | undefined;
  readonly #sessions = new Map<string, Promise<Loaded>>();

  constructor(opts: RuntimeOptions) {
    this.#opts = opts;
    this.#request = opts.provider ?? 'auto';
  }

  /** The provider decision for this runtime (probed once, `auto` cached per machine). */
  executionProvider(): Promise<EpDecision> {
    this.#decision ??= chooseExecutionProvider(this.#request, {
      ...this.#opts.choose,
      dataDir: this.#opts.dataDir,
    });
    return this.#decision;
  }

  /** Changes the provider: sessions are released and recreated on next use. */
  async setExecutionProvider(request: ExecutionProviderRequest, recheck = false): Promise<EpDecision> {
    await this.#releaseSessions();
    this.#request = request;
    this.#decision = chooseExecutionProvider(request, {
      ...this.#opts.choose,
      dataDir: this.#opts.dataDir,
      recheck,
    });
    return this.#decision;
  }

  /** Loads (once) and checks a model against its manifest; a failure is not cached, so a fixed file loads later. */
  async load(modelId: string): Promise<LoadedModelInfo> {
    const { id, provider, reason, fixedBatch } = await this.#loaded(modelId);
    return fixedBatch === undefined ? { id, provider, reason } : { id, provider, reason, fixedBatch };
  }

  #loaded(modelId: string): Promise<Loaded> {
    let p = this.#sessions.get(modelId);
    if (!p) {
      p = this.#create(modelId);
      this.#sessions.set(modelId, p);
      p.catch(() => this.#sessions.delete(modelId));
    }
    return p;
  }

  async #create(modelId: string): Promise<Loaded> {
    const entry = this.#opts.registry.get(modelId);
    // Checked now, not at registry load: `npm run models` may have produced the file since.
    if (!existsSync(entry.modelPath)) throw missingFileError(entry);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(entry.modelPath);
    } catch (err) {
      throw new AppError(
        'io_error',
        `Model "${entry.id}": cannot read ${entry.modelPath}: ${(err as Error).message}`,
      );
    }
    const decision = await this.executionProvider();
    let provider = decision.provider;
    let reason = decision.reason;
    if (decision.requested === 'auto' && provider !== 'cpu') {
      // auto keeps a model on the GPU only where its own warm-up matches CPU and is faster (cached per file hash).
      const target = {
        id: entry.id,
        hash: sha256(bytes),
        inputs: warmupInputs(entry),
        read: async () => bytes,
      };
      const opts = { ...this.#opts.choose, dataDir: this.#opts.dataDir };
      ({ provider, reason } = await chooseModelProvider(decision, target, opts));
    }
    let session: ort.InferenceSession | undefined;
    if (provider !== 'cpu') {
      try {
        session = await ort.InferenceSession.create(
          bytes,
          sessionOptions(provider, this.#opts.intraOpThreads ?? INTRA_OP_THREADS),
        );
      } catch (err) {
        reason = `${provider} failed for this model (${shortOrtMessage(err)}); using CPU`;
        provider = 'cpu';
      }
    }
    if (!session) {
      try {
        session = await ort.InferenceSession.create(
          bytes,
          sessionOptions('cpu', this.#opts.intraOpThreads ?? INTRA_OP_THREADS),
        );
      } catch (err) {
        throw loadError(entry, err);
      }
    }
    try {
      const fixedBatch = validateSession(session, entry);
      const loaded: Loaded = { id: entry.id, provider, reason, session, entry };
      if (fixedBatch !== undefined) loaded.fixedBatch = fixedBatch;
      return loaded;
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  #checkFeeds(loaded: Loaded, feeds: Feeds): number {
    const m = loaded.entry.manifest;
    const id = loaded.id;
    for (const name of Object.keys(feeds)) {
      if (!m.inputs.some((i) => i.name === name)) {
        throw new AppError(
          'invalid_request',
          `Model "${id}" has no input "${name}" (inputs: ${m.inputs.map((i) => i.name).join(', ')})`,
        );
      }
    }
    let batch: number | undefined;
    for (const input of m.inputs) {
      const feed = feeds[input.name];
      if (!feed) throw new AppError('invalid_request', `Model "${id}": input "${input.name}" is missing`);
      const expected = expectedDims(input);
      const got = feed.dims;
      const wrong: string[] = [];
      if (got.length !== 4) wrong.push(`rank ${got.length}, expected 4`);
      else {
        if (!Number.isInteger(got[0]) || got[0]! < 1) wrong.push(`batch ${got[0]}, expected >= 1`);
        for (let axis = 1; axis < 4; axis++) {
          const free = input.anySize && axisName(input.layout, axis) !== 'channels';
          if (free ? !(Number.isInteger(got[axis]) && got[axis]! > 0) : got[axis] !== expected[axis]) {
            wrong.push(`${axisName(input.layout, axis)} ${got[axis]}, expected ${expected[axis]}`);
          }
        }
      }
      const type = tensorType(feed.data);
      if (type !== input.dtype) wrong.push(`type ${type}, expected ${input.dtype}`);
      const size = got.reduce((a, b) => a * b, 1);
      if (wrong.length === 0 && feed.data.length !== size) {
        wrong.push(`${feed.data.length} values for ${size} elements`);
      }
      if (wrong.length) {
        throw new AppError(
          'invalid_request',
          `Model "${id}" input "${input.name}": expected ${fmt(expected)} (${input.layout}), got ${fmt(got)}: ` +
            wrong.join('; '),
          { where: { field: `inputs.${input.name}` } },
        );
      }
      if (batch !== undefined && got[0] !== batch) {
        throw new AppError(
          'invalid_request',
          `Model "${id}": inputs disagree on the batch size (${batch}, ${got[0]})`,
        );
      }
      batch = got[0]!;
    }
    return batch ?? 1;
  }

  async #run(loaded: Loaded, feeds: Feeds): Promise<Outputs> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      ortFeeds[name] = new ort.Tensor(tensorType(t.data), t.data, [...t.dims]);
    }
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await loaded.session.run(ortFeeds);
    } catch (err) {
      throw new AppError('model_error', `Model "${loaded.id}" failed to run: ${shortOrtMessage(err)}`);
    }
    const out: Outputs = {};
    for (const [name, value] of Object.entries(result)) {
      out[name] = { data: value.data as TensorData['data'], dims: [...value.dims] };
    }
    return out;
  }

  /** One run; the feeds' shapes are checked against the manifest first. */
  async run(modelId: string, feeds: Feeds): Promise<Outputs> {
    const loaded = await this.#loaded(modelId);
    const batch = this.#checkFeeds(loaded, feeds);
    if (loaded.fixedBatch !== undefined && batch !== loaded.fixedBatch) {
      throw new AppError(
        'invalid_request',
        `Model "${modelId}" takes batches of exactly ${loaded.fixedBatch}, got ${batch}: use runBatched`,
      );
    }
    return this.#run(loaded, feeds);
  }

  /**
   * Runs N items in batches of at most `maxBatch` along the batch dimension and concatenates the outputs, so the
   * result equals one run over all N. Models that hard-code a batch size are run at that size.
   */
  async runBatched(modelId: string, feeds: Feeds, maxBatch = 8, signal?: AbortSignal): Promise<Outputs> {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new AppError('invalid_request', `maxBatch must be a positive integer, got ${maxBatch}`);
    }
    const loaded = await this.#loaded(modelId);
    const total = this.#checkFeeds(loaded, feeds);
    const step = loaded.fixedBatch ?? maxBatch;
    if (loaded.fixedBatch !== undefined && total % loaded.fixedBatch !== 0) {
      throw new AppError(
        'invalid_request',
        `Model "${modelId}" takes batches of exactly ${loaded.fixedBatch}; ${total} items do not divide`,
      );
    }
    if (total <= step) return this.#run(loaded, feeds);
    const parts: Outputs[] = [];
    for (let start = 0; start < total; start += step) {
      if (signal?.aborted) throw new AppError('cancelled', `Model "${modelId}": batch run cancelled`);
      const n = Math.min(step, total - start);
      const slice: Feeds = {};
      for (const [name, t] of Object.entries(feeds)) {
        const per = t.data.length / total;
        slice[name] = {
          data: t.data.subarray(start * per, (start + n) * per),
          dims: [n, ...t.dims.slice(1)],
        };
      }
      const out = await this.#run(loaded, slice);
      for (const [name, t] of Object.entries(out)) {
        if (t.dims[0] !== n) {
          throw new AppError(
            'model_error',
            `Model "${modelId}" output "${name}" is ${fmt(t.dims)} for a batch of ${n}: it does not batch`,
          );
        }
      }
      parts.push(out);
    }
    const result: Outputs = {};
    for (const name of Object.keys(parts[0]!)) {
      const pieces = parts.map((p) => p[name]!);
      const length = pieces.reduce((a, t) => a + t.data.length, 0);
      const first = pieces[0]!;
      const data = new (first.data.constructor as new (n: number) => TensorData['data'])(length);
      let offset = 0;
      for (const t of pieces) {
        (data as Float32Array).set(t.data as Float32Array, offset);
        offset += t.data.length;
      }
      result[name] = { data, dims: [total, ...first.dims.slice(1)] };
    }
    return result;
  }

  /** What each loaded model runs on. */
  async loadedModels(): Promise<LoadedModelInfo[]> {
    const settled = await Promise.allSettled(this.#sessions.values());
    return settled.flatMap((s) =>
      s.status === 'fulfilled'
        ? [{ id: s.value.id, provider: s.value.provider, reason: s.value.reason }]
        : [],
    );
  }

  async #releaseSessions(): Promise<void> {
    const pending = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of await Promise.allSettled(pending)) {
      if (s.status === 'fulfilled') await s.value.session.release();
    }
  }

  /** Releases every session; the runtime can be used again afterwards (sessions are recreated). */
  async dispose(): Promise<void> {
    await this.#releaseSessions();
  }
}

/** A parsing result: per pixel, the canonical CelebAMask-HQ class id (index into `classes`). */
export interface ClassMap {
  width: number;
  height: number;
  ids: Uint8Array;
  classes: typeof CELEBAMASK_HQ_CLASSES;
}

/**
 * Argmax over the class axis of a face-parsing output, mapped through the manifest's classMap to canonical ids;
 * one map per batch item. The output's layout is the model's input layout (NCHW models emit [N, C, H, W]).
 */
export function toClassMap(output: TensorData, manifest: Manifest): ClassMap[] {
  if (manifest.task !== 'face-parsing') {
    throw new AppError(
      'invalid_request',
      `Model "${manifest.id}" is a ${manifest.task} model, not face-parsing`,
    );
  }
  if (!(output.data instanceof Float32Array) || output.dims.length !== 4) {
    throw new AppError('model_error', `Model "${manifest.id}": parsing output must be a 4-d float tensor`);
  }
  const ids = canonicalClassIds(manifest);
  const nchw = manifest.inputs[0]!.layout === 'NCHW';
  const [n, d1, d2, d3] = output.dims as [number, number, number, number];
  const [c, h, w] = nchw ? [d1, d2, d3] : [d3, d1, d2];
  if (c !== ids.length) {
    throw new AppError(
      'model_error',
      `Model "${manifest.id}": output has ${c} classes, classMap maps ${ids.length}`,
    );
  }
  const data = output.data;
  const plane = h * w;
  const maps: ClassMap[] = [];
  for (let b = 0; b < n; b++) {
    const base = b * c * plane;
    const out = new Uint8Array(plane);
    if (nchw) {
      // Walk channel planes in order: sequential reads, and a running max per pixel.
      const best = data.slice(base, base + plane);
      for (let k = 1; k < c; k++) {
        const off = base + k * plane;
        for (let p = 0; p < plane; p++) {
          const v = data[off + p]!;
          if (v > best[p]!) {
            best[p] = v;
            out[p] = k;
          }
        }
      }
    } else {
      for (let p = 0; p < plane; p++) {
        const off = base + p * c;
        let arg = 0;
        for (let k = 1; k < c; k++) if (data[off + k]! > data[off + arg]!) arg = k;
        out[p] = arg;
      }
    }
    for (let p = 0; p < plane; p++) out[p] = ids[out[p]!]!;
    maps.push({ width: w, height: h, ids: out, classes: CELEBAMASK_HQ_CLASSES });
  }
  return maps;
}
