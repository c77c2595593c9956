// Cross-image batching on the bundled ONNX models: batch-N outputs equal N batch-1 runs, rows go back to their owner.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchingRuntime, stagePriority } from '../../../../src/main/analysis/batcher';
import { decodeImage } from '../../../../src/main/analysis/decode';
import {
  cropBoxOf,
  DEFAULT_DETECT,
  DETECTOR_SIZE,
  detectFaces,
  smallFaceViews,
  wholeView,
  writeViewInput,
} from '../../../../src/main/analysis/detect';
import { makeFaceCrop } from '../../../../src/main/analysis/face-crop';
import { headModels, runHeads, runMesh, type HeadOutputs } from '../../../../src/main/analysis/heads';
import { affine, resizeBilinear, type FloatRaster } from '../../../../src/main/analysis/image-ops';
import { analysisRuntime, type AnalysisRuntime } from '../../../../src/main/analysis/runtime';
import { loadRegistry } from '../../../../src/main/models/registry';
import { ModelRuntime } from '../../../../src/main/models/runtime';
import { DEMO_DIR, ROOT, tempDir } from '../../../helpers/fs';

const tmp = tempDir('fi-batcher-');
let models: ModelRuntime;
let base: AnalysisRuntime;
/** Real face crops from three demo photos, grouped per photo. */
let cropsByPhoto: FloatRaster[][];

/** Passes every run through to the real runtime and records its model and row count. */
function counting(rt: AnalysisRuntime) {
  const runs: { model: string; rows: number }[] = [];
  const wrapped: AnalysisRuntime = {
    ...rt,
    run(model, feeds) {
      runs.push({ model, rows: Object.values(feeds)[0]!.dims[0]! });
      return rt.run(model, feeds);
    },
  };
  return { runs, rt: wrapped };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m / scale : Infinity;
}

function expectSameHeads(a: HeadOutputs[], b: HeadOutputs[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, k) => {
    const y = b[k]!;
    for (const key of ['expression', 'race', 'ageProbs', 'descriptor', 'identity'] as const) {
      expect(x[key] === undefined, `face ${k} ${key}`).toBe(y[key] === undefined);
      if (x[key] && y[key]) expect(maxRelDiff(x[key], y[key]), `face ${k} ${key}`).toBeLessThanOrEqual(1e-5);
    }
    expect(Math.abs(x.pMale - y.pMale), `face ${k} pMale`).toBeLessThanOrEqual(1e-5);
  });
}

beforeAll(async () => {
  const registry = await loadRegistry({ bundledDir: join(ROOT, 'resources', 'models') });
  models = new ModelRuntime({ registry, dataDir: tmp.dir, provider: 'cpu' });
  base = analysisRuntime(models, registry);
  cropsByPhoto = [];
  for (const name of ['sample1.jpg', 'sample2.jpg', 'sample3.jpg']) {
    const image = await decodeImage(readFileSync(join(DEMO_DIR, name)));
    const found = await detectFaces(base, image, { ...DEFAULT_DETECT, minFaceSize: 0 });
    cropsByPhoto.push(found.map((d) => makeFaceCrop(image, cropBoxOf(d), d.keypoints).tensor));
  }
}, 120_000);

afterAll(async () => {
  await models?.dispose();
  tmp.cleanup();
});

describe('batchingRuntime', () => {
  it('gives each image the same outputs batched across images as run one face at a time', async () => {
    const all = cropsByPhoto.flat();
    expect(all.length).toBeGreaterThanOrEqual(6);
    // Reference: every face alone, batch 1.
    const single = batchingRuntime(base, 1);
    const one: HeadOutputs[] = [];
    // Every head, mobilefacenet included.
    const models = { ...headModels((id) => base.hasModel(id)), mobilefacenet: true };
    for (const crop of all) one.push(...(await runHeads(single, [crop], models)));

    // Three images in flight at once on one batching runtime: their runs merge up to 8 rows.
    const { runs, rt } = counting(base);
    const batched = batchingRuntime(rt, 8);
    const perPhoto = await Promise.all(cropsByPhoto.map((crops) => runHeads(batched, crops, models)));
    expectSameHeads(perPhoto.flat(), one);
    const gear = runs.filter((r) => r.model === 'gear');
    // Fewer runs than images: rows of different images shared a run, none bigger than the batch size.
    expect(gear.length).toBeLessThan(cropsByPhoto.length);
    expect(Math.max(...gear.map((r) => r.rows))).toBeLessThanOrEqual(8);
    expect(gear.reduce((a, r) => a + r.rows, 0)).toBe(all.length);
  });

  it('splits a request larger than the batch size over several runs and reassembles it in order', async () => {
    const crops = cropsByPhoto.flat();
    const { runs, rt } = counting(base);
    const small = batchingRuntime(rt, 2);
    const [meshA, meshB] = await Promise.all([runMesh(small, crops), runMesh(small, crops.slice(0, 1))]);
    const reference = await runMesh(batchingRuntime(base, 1), crops);
    expect(runs.every((r) => r.rows <= 2)).toBe(true);
    expect(runs.reduce((a, r) => a + r.rows, 0)).toBe(crops.length + 1);
    meshA.forEach((m, k) => {
      expect(maxRelDiff(m.raw, reference[k]!.raw), `mesh ${k}`).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(m.presence - reference[k]!.presence)).toBeLessThanOrEqual(1e-5);
    });
    expect(maxRelDiff(meshB[0]!.raw, reference[0]!.raw)).toBeLessThanOrEqual(1e-5);
  });

  it('runs later pipeline stages first when several models wait, oldest first within a stage', async () => {
    const { runs, rt } = counting(base);
    const ordered = batchingRuntime(rt, 8, stagePriority);
    const crops = cropsByPhoto[0]!;
    // A run to wait behind, then a detector request, a mesh request and the heads, issued in that order.
    const first = runMesh(ordered, crops.slice(0, 1));
    await new Promise((r) => setImmediate(r));
    const detector = ordered.run('blazeface', {
      'input:0': {
        data: new Float32Array(DETECTOR_SIZE * DETECTOR_SIZE * 3),
        dims: [1, DETECTOR_SIZE, DETECTOR_SIZE, 3],
      },
    });
    const mesh = runMesh(ordered, crops);
    const heads = runHeads(ordered, crops);
    await Promise.all([first, detector, mesh, heads]);
    expect(runs.map((r) => r.model)).toEqual([
      'facemesh',
      'faceapi-expression',
      'gear',
      'faceres',
      'faceapi-agegender',
      'facemesh',
      'blazeface',
    ]);
    // First come, first served without priorities.
    const fifo = counting(base);
    const plain = batchingRuntime(fifo.rt, 8);
    const again = runMesh(plain, crops.slice(0, 1));
    await new Promise((r) => setImmediate(r));
    await Promise.all([
      again,
      plain.run('blazeface', {
        'input:0': {
          data: new Float32Array(DETECTOR_SIZE * DETECTOR_SIZE * 3),
          dims: [1, DETECTOR_SIZE, DETECTOR_SIZE, 3],
        },
      }),
      runHeads(plain, crops),
    ]);
    expect(fifo.runs.map((r) => r.model).slice(0, 3)).toEqual([
      'facemesh',
      'blazeface',
      'faceapi-expression',
    ]);
  });

  it('fails the requests of a failing run and keeps serving the others', async () => {
    const rt = batchingRuntime(base, 8);
    // Issued together, so both wait for the same turn: the malformed one must not take the good one down.
    const bad = rt.run('facemesh', { wrong_input: { data: new Float32Array(3), dims: [1, 1, 1, 3] } });
    const good = runMesh(rt, cropsByPhoto[0]!);
    await expect(bad).rejects.toMatchObject({ code: 'invalid_request' });
    expect((await good).length).toBe(cropsByPhoto[0]!.length);
    expect(() => batchingRuntime(base, 0)).toThrow(/positive integer/);
  });
});

describe('writeViewInput', () => {
  it('equals cutting the region out, resizeBilinear and x / 127.5 - 1, value for value', async () => {
    const image = await decodeImage(readFileSync(join(DEMO_DIR, 'sample4.jpg')));
    const views = [
      wholeView(0, 0, image.width, image.height),
      ...smallFaceViews(image.width, image.height, 40),
      wholeView(7, 11, 301, 177, 1),
      { x: 5, y: 3, w: 1000, h: 700, outW: 512, outH: 352, level: 2 },
    ];
    for (const v of views) {
      const size = v.outW * v.outH * 3;
      const out = new Float32Array(2 * size);
      const data = new Uint8Array(v.w * v.h * 3);
      for (let row = 0; row < v.h; row++) {
        const src = ((v.y + row) * image.width + v.x) * 3;
        data.set(image.data.subarray(src, src + v.w * 3), row * v.w * 3);
      }
      const region = { width: v.w, height: v.h, channels: 3, data };
      const reference = affine(resizeBilinear(region, v.outH, v.outW), (x) =>
        Math.fround(Math.fround(x / 127.5) - 1),
      ).data;
      writeViewInput(image, v, out, size);
      // Counted, not compared with toEqual: 196,608 values or more per view.
      let differing = 0;
      for (let i = 0; i < size; i++) if (!Object.is(out[size + i], reference[i])) differing++;
      expect(differing, `view ${JSON.stringify(v)}`).toBe(0);
    }
  });
});
