// Warm-up probes: a small fixed network compared across providers, and per-model warm-ups timed on GPU and CPU.
import * as ort from 'onnxruntime-node';
import { mulberry32 } from '../../shared/numeric';
import { buildOnnxModel } from './onnx-builder';
import { WARMUP_TOLERANCE, shortOrtMessage, type ExecutionProvider } from './ep-common';

// --- the warm-up probe: a small conv net with fixed pseudo-random weights, run on CPU and on the candidate ---

const PROBE_SHAPE: readonly number[] = [1, 3, 32, 32];

function seeded(n: number, seed: number, scale: number): Float32Array {
  // Reproducible pseudo-random weights in [-scale, scale).
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = (rand() - 0.5) * 2 * scale;
  return out;
}

let probeBytes: Uint8Array | undefined;

/** Conv 3x3 -> Relu -> Conv 1x1 -> Sigmoid: the op families every bundled model leans on. */
export function probeModel(): Uint8Array {
  probeBytes ??= buildOnnxModel({
    name: 'ep-probe',
    inputs: [{ name: 'x', shape: [...PROBE_SHAPE] }],
    outputs: [{ name: 'y', shape: [1, 4, 32, 32] }],
    nodes: [
      {
        op: 'Conv',
        inputs: ['x', 'w1', 'b1'],
        outputs: ['h'],
        attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } },
      },
      { op: 'Relu', inputs: ['h'], outputs: ['hr'] },
      { op: 'Conv', inputs: ['hr', 'w2', 'b2'], outputs: ['z'], attrs: { kernel_shape: { ints: [1, 1] } } },
      { op: 'Sigmoid', inputs: ['z'], outputs: ['y'] },
    ],
    initializers: [
      { name: 'w1', dims: [8, 3, 3, 3], data: seeded(8 * 27, 1, 0.5) },
      { name: 'b1', dims: [8], data: seeded(8, 2, 0.1) },
      { name: 'w2', dims: [4, 8, 1, 1], data: seeded(32, 3, 0.5) },
      { name: 'b2', dims: [4], data: seeded(4, 4, 0.1) },
    ],
  });
  return probeBytes;
}

async function runProbe(provider: ExecutionProvider): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(probeModel(), {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
  });
  try {
    const x = seeded(
      PROBE_SHAPE.reduce((a, b) => a * b, 1),
      5,
      1,
    );
    const out = await session.run({ x: new ort.Tensor('float32', x, [...PROBE_SHAPE]) });
    return out.y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return Number.isNaN(m) ? Infinity : m;
}

type Probe = { ok: true; detail: string } | { ok: false; why: string };

/** Creates the probe on `provider` and compares one run with CPU. Never throws. */
export async function probeProvider(provider: ExecutionProvider): Promise<Probe> {
  let cpu: Float32Array;
  let gpu: Float32Array;
  try {
    cpu = await runProbe('cpu');
  } catch (err) {
    return { ok: false, why: `CPU reference run failed: ${shortOrtMessage(err)}` };
  }
  try {
    gpu = await runProbe(provider);
  } catch (err) {
    return { ok: false, why: `${provider} session failed to create: ${shortOrtMessage(err)}` };
  }
  const diff = maxAbsDiff(cpu, gpu);
  if (!(diff <= WARMUP_TOLERANCE)) {
    return { ok: false, why: `${provider} warm-up differs from CPU (max abs diff ${diff.toExponential(2)})` };
  }
  return { ok: true, detail: `warm-up matches CPU (max abs diff ${diff.toExponential(2)})` };
}

// --- per-model decisions: the machine's GPU provider is used for a model only where it helps that model ---

/** A GPU output may differ from CPU by this share of the output's scale (its largest CPU magnitude, at least 1). */
export const MODEL_TOLERANCE = 1e-3;
/** Warm-up batch: the pipeline's default batch size (src/main/analysis/batcher.ts), unless the graph fixes one. */
export const WARMUP_BATCH = 8;
/** Timed runs after the first (the first compiles GPU shaders and is not timed). */
const WARMUP_RUNS = 3;

/** Which provider runs one model file on this machine, and why; `hash` is the .onnx's sha256. */
export interface ModelDecision {
  modelId: string;
  hash: string;
  provider: ExecutionProvider;
  reason: string;
  checkedAt: number;
  /** Median ms per warm-up batch on each provider, where both ran. */
  ms?: { gpu: number; cpu: number; batch: number };
}

/** One model input as its manifest states it: shape without the batch axis. */
export interface WarmupInput {
  name: string;
  shape: readonly number[];
  dtype: 'float32' | 'uint8' | 'int32';
}

/** A model to decide for; `read` is called only when a warm-up is needed. */
export interface ModelTarget {
  id: string;
  hash: string;
  inputs: readonly WarmupInput[];
  read: () => Promise<Uint8Array>;
}

/** What a warm-up run answered on one provider: its outputs and median ms per batch, or why it failed. */
export type WarmupAnswer =
  { ok: true; outputs: Record<string, Float32Array>; ms: number; batch: number } | { ok: false; why: string };

export type ModelProbe = (provider: ExecutionProvider, model: ModelTarget) => Promise<WarmupAnswer>;

function seededInput(input: WarmupInput, batch: number, seed: number): ort.Tensor {
  const dims = [batch, ...input.shape];
  const n = dims.reduce((a, b) => a * b, 1);
  // Values in 0..1 (uint8: 0..255): every bundled model's input range covers them.
  const unit = seeded(n, seed, 0.5).map((v) => v + 0.5);
  if (input.dtype === 'float32') return new ort.Tensor('float32', unit, dims);
  if (input.dtype === 'uint8')
    return new ort.Tensor(
      'uint8',
      Uint8Array.from(unit, (v) => v * 255),
      dims,
    );
  return new ort.Tensor(
    'int32',
    Int32Array.from(unit, (v) => v * 255),
    dims,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Creates `model` on `provider`, runs a seeded batch once untimed, then times {@link WARMUP_RUNS}. Never throws. */
export async function warmupModel(provider: ExecutionProvider, model: ModelTarget): Promise<WarmupAnswer> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(await model.read(), {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    return { ok: false, why: `session failed to create: ${shortOrtMessage(err)}` };
  }
  try {
    const lead = session.inputMetadata.find((m) => m.isTensor)?.shape[0];
    const batch = typeof lead === 'number' && lead > 0 ? lead : WARMUP_BATCH;
    const feeds = Object.fromEntries(model.inputs.map((i, k) => [i.name, seededInput(i, batch, 11 + k)]));
    let result = await session.run(feeds);
    const times: number[] = [];
    for (let r = 0; r < WARMUP_RUNS; r++) {
      const t0 = performance.now();
      result = await session.run(feeds);
      times.push(performance.now() - t0);
    }
    const outputs: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(result)) {
      if (t.data instanceof Float32Array) outputs[name] = t.data;
    }
    return { ok: true, outputs, ms: median(times), batch };
  } catch (err) {
    return { ok: false, why: `warm-up run failed: ${shortOrtMessage(err)}` };
  } finally {
    await session.release();
  }
}

/** Largest |gpu - cpu| over all outputs, each divided by its output's scale (max |cpu|, at least 1). */
export function relativeDiff(cpu: Record<string, Float32Array>, gpu: Record<string, Float32Array>): number {
  let worst = 0;
  for (const [name, ref] of Object.entries(cpu)) {
    const other = gpu[name];
    if (!other) return Infinity;
    let scale = 1;
    for (const v of ref) scale = Math.max(scale, Math.abs(v));
    worst = Math.max(worst, maxAbsDiff(ref, other) / scale);
  }
  return worst;
}

const ms2 = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

/**
 * The decision table for one model, given the machine's GPU provider and the two warm-up answers: GPU only when
 * it ran, matches CPU within {@link MODEL_TOLERANCE} of the output scale, and is faster.
 */
export function decideModel(
  gpuProvider: ExecutionProvider,
  cpu: WarmupAnswer,
  gpu: WarmupAnswer,
): Pick<ModelDecision, 'provider' | 'reason' | 'ms'> {
  if (!gpu.ok)
    return { provider: 'cpu', reason: `${gpuProvider} failed for this model (${gpu.why}); using CPU` };
  if (!cpu.ok) return { provider: 'cpu', reason: `CPU reference warm-up failed (${cpu.why}); using CPU` };
  const ms = { gpu: gpu.ms, cpu: cpu.ms, batch: gpu.batch };
  const diff = relativeDiff(cpu.outputs, gpu.outputs);
  if (!(diff <= MODEL_TOLERANCE)) {
    return {
      provider: 'cpu',
      reason: `${gpuProvider} output differs from CPU on this model (${diff.toExponential(2)} of the output scale, allowed ${MODEL_TOLERANCE}); using CPU`,
      ms,
    };
  }
  const timing = `${ms2(gpu.ms)} vs ${ms2(cpu.ms)} on CPU per batch of ${gpu.batch}`;
  if (!(gpu.ms < cpu.ms)) {
    return {
      provider: 'cpu',
      reason: `${gpuProvider} is not faster on this model (${timing}); using CPU`,
      ms,
    };
  }
  return {
    provider: gpuProvider,
    reason: `${gpuProvider} ${(cpu.ms / gpu.ms).toFixed(1)}x faster than CPU (${timing}); matches CPU within ${diff.toExponential(1)} of the output scale`,
    ms,
  };
}
