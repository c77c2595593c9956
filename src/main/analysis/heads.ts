// Per-face models fed from Human's 192x192 face crop exactly as Human feeds them, and their outputs decoded.
import { AppError } from '../../shared/errors';
import { affine, cropAndResize, grayscale, resizeBilinear, type FloatRaster } from './image-ops';
import type { AnalysisRuntime, Tensor } from './runtime';

export const EXPRESSIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;
export const RACES = ['White', 'Black', 'Asian', 'Indian', 'Others'] as const;

export interface MeshOutput {
  /** 468 x (x, y, z) in crop pixels (0..192). */
  raw: Float32Array;
  presence: number;
}

export interface HeadOutputs {
  /** Softmax over EXPRESSIONS. */
  expression: Float32Array;
  /** Softmax over RACES (gear). */
  race: Float32Array;
  /** faceres P(Male). */
  pMale: number;
  /** faceres softmax over ages 0..99. */
  ageProbs: Float32Array;
  descriptor: Float32Array;
  /** mobilefacenet, L2-normalised. */
  identity: Float32Array;
}

function floats(out: Record<string, Tensor>, model: string, name: string): Float32Array {
  const t = out[name];
  if (!t || !(t.data instanceof Float32Array)) {
    throw new AppError('model_error', `Model "${model}" did not return "${name}" as float32`);
  }
  return t.data;
}

/** Stacks equally sized images into one NHWC batch. */
function stack(images: FloatRaster[]): { data: Float32Array; dims: number[] } {
  const first = images[0]!;
  const size = first.data.length;
  const data = new Float32Array(size * images.length);
  images.forEach((img, k) => data.set(img.data, k * size));
  return { data, dims: [images.length, first.height, first.width, first.channels] };
}

/** facemesh on the 192x192 crops (0..1). */
export async function runMesh(runtime: AnalysisRuntime, crops: FloatRaster[]): Promise<MeshOutput[]> {
  if (crops.length === 0) return [];
  const out = await runtime.run('facemesh', { input_1: stack(crops) });
  const mesh = floats(out, 'facemesh', 'output_mesh');
  const flag = floats(out, 'facemesh', 'output_faceflag');
  return crops.map((_, k) => ({ raw: mesh.slice(k * 1404, (k + 1) * 1404), presence: flag[k]! }));
}

/** emotion.ts: resizeBilinear to 64x64, grayscale, (g - 0.5) * 2. */
export function emotionInput(crop: FloatRaster): FloatRaster {
  const gray = grayscale(resizeBilinear(crop, 64, 64));
  return affine(gray, (g) => Math.fround(Math.fround(g - 0.5) * 2));
}

/** gear.ts: cropAndResize of the face crop's box [top 0, left 0.10, bottom 0.90, right 0.90] to 198x198. */
export function gearInput(crop: FloatRaster): FloatRaster {
  return cropAndResize(crop, [0, 0.1, 0.9, 0.9], 198, 198);
}

/** faceres.ts `enhance`: resizeBilinear to 224x224, times 255. */
export function faceresInput(crop: FloatRaster): FloatRaster {
  return affine(resizeBilinear(crop, 224, 224), (v) => Math.fround(v * 255));
}

/** mobilefacenet.ts: resizeBilinear to 112x112, 0..1. */
export function mobilefacenetInput(crop: FloatRaster): FloatRaster {
  return resizeBilinear(crop, 112, 112);
}

/**
 * Runs the four heads on a batch of face crops. The four runs are requested together (each model still sees one
 * batch), so the runtime has the next one queued while this thread prepares the others' inputs.
 */
export async function runHeads(runtime: AnalysisRuntime, crops: FloatRaster[]): Promise<HeadOutputs[]> {
  if (crops.length === 0) return [];
  const runs = [
    runtime.run('emotion', { 'input_1:0': stack(crops.map(emotionInput)) }),
    runtime.run('gear', { input_1: stack(crops.map(gearInput)) }),
    runtime.run('faceres', { input_1: stack(crops.map(faceresInput)) }),
    runtime.run('mobilefacenet', { img_inputs: stack(crops.map(mobilefacenetInput)) }),
  ];
  const settled = await Promise.allSettled(runs);
  const [emo, gear, res, mfn] = settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  }) as [Record<string, Tensor>, Record<string, Tensor>, Record<string, Tensor>, Record<string, Tensor>];
  const e = floats(emo, 'emotion', 'Identity:0');
  const r = floats(gear, 'gear', 'race_output');
  const g = floats(res, 'faceres', 'gender_pred/Sigmoid:0');
  const a = floats(res, 'faceres', 'age_pred/Softmax:0');
  const d = floats(res, 'faceres', 'global_pooling/Mean');
  const m = floats(mfn, 'mobilefacenet', 'embeddings');
  return crops.map((_, k) => ({
    expression: e.slice(k * 7, (k + 1) * 7),
    race: r.slice(k * 5, (k + 1) * 5),
    pMale: g[k]!,
    ageProbs: a.slice(k * 100, (k + 1) * 100),
    descriptor: d.slice(k * 1024, (k + 1) * 1024),
    identity: l2normalise(m.slice(k * 192, (k + 1) * 192)),
  }));
}

/** The graph already normalises; doing it again guards a user's replacement model that does not. */
export function l2normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}

/**
 * faceres.ts' age: argmax a of the 100 age probabilities, moved toward the larger neighbour,
 * (10a - 100 p[a-1]) / 10 or (10a + 100 p[a+1]) / 10, rounded to 0.1 year; a missing neighbour counts as 0.
 */
export function faceresAge(p: Float32Array): number {
  let a = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[a]!) a = i;
  const before = p[a - 1] ?? 0;
  const after = p[a + 1] ?? 0;
  return Math.round(before > after ? 10 * a - 100 * before : 10 * a + 100 * after) / 10;
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
