// Per-face models fed from Human's 192x192 face crop exactly as Human feeds them, and their outputs decoded.
import { AppError } from '../../shared/errors';
import { affine, cropAndResize, grayscale, resizeBilinear, type FloatRaster } from './image-ops';
import type { AnalysisRuntime, Tensor } from './runtime';

export const EXPRESSIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;
export const RACES = ['White', 'Black', 'Asian', 'Indian', 'Others'] as const;

/** face-api's expression order (FACE_EXPRESSION_LABELS) and the EXPRESSIONS name each one is stored as. */
const FACE_API_EXPRESSIONS: readonly (typeof EXPRESSIONS)[number][] = [
  'neutral',
  'happy',
  'sad',
  'angry',
  'fear',
  'disgust',
  'surprise',
];

/** Models that can serve age + gender and expression; the first of each is the default (docs/models.md says why). */
export const AGE_GENDER_MODELS = ['faceapi-agegender', 'faceres'] as const;
export const EXPRESSION_MODELS = ['faceapi-expression', 'emotion'] as const;
export interface HeadModels {
  ageGender: (typeof AGE_GENDER_MODELS)[number];
  expression: (typeof EXPRESSION_MODELS)[number];
  /**
   * Also embed with mobilefacenet (192-d): only for a dataset whose learning settings train on it. Identity and the
   * default learning use faceres' descriptor; mobilefacenet alone cost 8 % of `faceinsight analyze`'s time.
   */
  mobilefacenet: boolean;
}

/**
 * The serving models: `requested` (an analyzer option), else FACEINSIGHT_AGE_GENDER_MODEL /
 * FACEINSIGHT_EXPRESSION_MODEL, else the defaults; a face-api model that is not registered falls back to Human's.
 */
export function headModels(
  hasModel: (id: string) => boolean,
  requested: Partial<HeadModels> = {},
  env: Record<string, string | undefined> = process.env,
): HeadModels {
  const pick = <T extends string>(options: readonly T[], asked: string | undefined, variable: string): T => {
    if (asked !== undefined && asked !== '') {
      if (!options.includes(asked as T)) {
        throw new AppError('invalid_request', `${variable}: "${asked}" is not one of ${options.join(', ')}`, {
          where: { field: variable },
        });
      }
      return asked as T;
    }
    return options.find((id) => hasModel(id)) ?? options[options.length - 1]!;
  };
  return {
    ageGender: pick(
      AGE_GENDER_MODELS,
      requested.ageGender ?? env.FACEINSIGHT_AGE_GENDER_MODEL,
      'FACEINSIGHT_AGE_GENDER_MODEL',
    ),
    expression: pick(
      EXPRESSION_MODELS,
      requested.expression ?? env.FACEINSIGHT_EXPRESSION_MODEL,
      'FACEINSIGHT_EXPRESSION_MODEL',
    ),
    mobilefacenet: requested.mobilefacenet ?? false,
  };
}

export interface MeshOutput {
  /** 468 x (x, y, z) in crop pixels (0..192). */
  raw: Float32Array;
  presence: number;
}

export interface HeadOutputs {
  /** Softmax over EXPRESSIONS, from the serving expression model (face-api's reordered into EXPRESSIONS). */
  expression: Float32Array;
  /** The serving age / gender model: P(Male), age in years and, for faceres, its distribution over 0..99. */
  ageGender: { pMale: number; years: number; probs?: Float32Array };
  /** Softmax over RACES (gear). */
  race: Float32Array;
  /** faceres P(Male) (whichever model serves gender). */
  pMale: number;
  /** faceres softmax over ages 0..99 (whichever model serves age; Young is derived from it). */
  ageProbs: Float32Array;
  descriptor: Float32Array;
  /** mobilefacenet, L2-normalised; only when HeadModels.mobilefacenet asks for it. */
  identity?: Float32Array;
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
  return resizeBilinear(crop, 224, 224, { times: 255 });
}

/** face-api's nets (age / gender, expression): the 1.4x crop resizeBilinear to 112x112, times 255. */
export function faceApiInput(crop: FloatRaster): FloatRaster {
  return resizeBilinear(crop, 112, 112, { times: 255 });
}

/** mobilefacenet.ts: resizeBilinear to 112x112, 0..1. */
export function mobilefacenetInput(crop: FloatRaster): FloatRaster {
  return resizeBilinear(crop, 112, 112);
}

/** face-api's probabilities (FACE_API_EXPRESSIONS order) reordered into EXPRESSIONS. */
function fromFaceApiOrder(p: Float32Array): Float32Array {
  const out = new Float32Array(EXPRESSIONS.length);
  FACE_API_EXPRESSIONS.forEach((name, i) => (out[EXPRESSIONS.indexOf(name)] = p[i]!));
  return out;
}

/**
 * Runs the heads on a batch of face crops: gear, faceres (its descriptor always; its age / gender when it serves
 * them), mobilefacenet when asked, and the serving age / gender and expression models. The runs are requested together (each
 * model still sees one batch), so the runtime has the next one queued while this thread prepares the others' inputs.
 */
export async function runHeads(
  runtime: AnalysisRuntime,
  crops: FloatRaster[],
  models: HeadModels = headModels((id) => runtime.hasModel(id)),
): Promise<HeadOutputs[]> {
  if (crops.length === 0) return [];
  const faceApi = models.ageGender === 'faceapi-agegender' || models.expression === 'faceapi-expression';
  const faceApiBatch = faceApi ? stack(crops.map(faceApiInput)) : undefined;
  // Each run gets its own buffer: the model thread takes the buffers it is sent (transferred, not copied).
  const faceApiFeed = () => ({ data: faceApiBatch!.data.slice(), dims: faceApiBatch!.dims });
  const runs = [
    models.expression === 'emotion'
      ? runtime.run('emotion', { 'input_1:0': stack(crops.map(emotionInput)) })
      : runtime.run('faceapi-expression', { input: faceApiFeed() }),
    runtime.run('gear', { input_1: stack(crops.map(gearInput)) }),
    runtime.run('faceres', { input_1: stack(crops.map(faceresInput)) }),
    models.mobilefacenet
      ? runtime.run('mobilefacenet', { img_inputs: stack(crops.map(mobilefacenetInput)) })
      : Promise.resolve(undefined),
    models.ageGender === 'faceapi-agegender'
      ? runtime.run('faceapi-agegender', { input: faceApiFeed() })
      : Promise.resolve(undefined),
  ];
  const settled = await Promise.allSettled(runs);
  const [emo, gear, res, mfn, ag] = settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  }) as [
    Record<string, Tensor>,
    Record<string, Tensor>,
    Record<string, Tensor>,
    Record<string, Tensor> | undefined,
    Record<string, Tensor> | undefined,
  ];
  const e =
    models.expression === 'emotion'
      ? floats(emo, 'emotion', 'Identity:0')
      : floats(emo, 'faceapi-expression', 'expression');
  const r = floats(gear, 'gear', 'race_output');
  const g = floats(res, 'faceres', 'gender_pred/Sigmoid:0');
  const a = floats(res, 'faceres', 'age_pred/Softmax:0');
  const d = floats(res, 'faceres', 'global_pooling/Mean');
  const m = mfn && floats(mfn, 'mobilefacenet', 'embeddings');
  const agAge = ag && floats(ag, 'faceapi-agegender', 'age');
  const agGender = ag && floats(ag, 'faceapi-agegender', 'gender');
  return crops.map((_, k) => {
    const ageProbs = a.slice(k * 100, (k + 1) * 100);
    const expression = e.slice(k * 7, (k + 1) * 7);
    return {
      expression: models.expression === 'emotion' ? expression : fromFaceApiOrder(expression),
      ageGender:
        agAge && agGender
          ? { pMale: agGender[2 * k]!, years: Math.round(agAge[k]! * 10) / 10 }
          : { pMale: g[k]!, years: faceresAge(ageProbs), probs: ageProbs },
      race: r.slice(k * 5, (k + 1) * 5),
      pMale: g[k]!,
      ageProbs,
      descriptor: d.slice(k * 1024, (k + 1) * 1024),
      ...(m ? { identity: l2normalise(m.slice(k * 192, (k + 1) * 192)) } : {}),
    };
  });
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
