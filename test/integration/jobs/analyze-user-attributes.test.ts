// A user's CelebA attribute classifier (BYO manifest, task `attributes`) runs in analysis: its scores are stored
// as model predictions per attribute, with its id, and outrank the derived ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Dataset, FaceDetail, FaceSummary, Job, Page } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { loadRegistry } from '../../../src/main/models/registry';
import { ModelRuntime } from '../../../src/main/models/runtime';
import { scoreAttributes } from '../../../src/main/models/parsing';
import { userModels } from '../../../src/main/analysis/user-models';
import { ROOT, copySamples, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { writeAttributesModel } from '../../helpers/models/attributes-model';
import { writeParsingModel } from '../../helpers/models/parsing-model';

const sig = (x: number) => 1 / (1 + Math.exp(-x));
let dir: string;
let cleanup: () => void;
let host: AppHost;
let dataset: Dataset;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  copySamples(join(dir, 'photos'), ['sample1.jpg']);
  await writeAttributesModel(join(dir, 'data', 'models'));
  host = await startTestApp(join(dir, 'data'));
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
    root: join(dir, 'photos'),
  });
  await waitForJob(host, created.job.id);
  dataset = created.dataset;
}, 300_000);
afterAll(async () => {
  await host.close();
  cleanup();
});

describe('a BYO attributes model', () => {
  it('scores a region through the manifest (logits through a sigmoid)', async () => {
    const registry = await loadRegistry({
      bundledDir: join(ROOT, 'resources', 'models'),
      userDir: join(dir, 'data', 'models'),
    });
    const entry = registry.get('my-attrs');
    const runtime = new ModelRuntime({ registry, dataDir: dir, provider: 'cpu' });
    // Left half pure red, right half black: a region in each half gives the two known answers.
    const w = 200;
    const h = 100;
    const rgb = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w / 2; x++) rgb[(y * w + x) * 3] = 255;
    const image = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer();
    const red = await scoreAttributes(runtime, entry, image, { x: 10, y: 10, w: 60, h: 60 });
    expect(red.map((s) => s.attribute)).toEqual(['Eyeglasses', 'Smiling']);
    expect(red[0]!.p).toBeCloseTo(sig(5), 5);
    expect(red[1]!.p).toBeCloseTo(sig(-5), 5);
    const black = await scoreAttributes(runtime, entry, image, { x: 120, y: 10, w: 60, h: 60 });
    expect(black[0]!.p).toBeCloseTo(sig(-5), 5);
    // The seam runs parsing models first, then attribute classifiers, each once.
    await writeParsingModel(join(dir, 'data', 'models'));
    const both = await loadRegistry({
      bundledDir: join(ROOT, 'resources', 'models'),
      userDir: join(dir, 'data', 'models'),
    });
    expect(userModels(both.list()).map((m) => [m.task.task, m.entry.id])).toEqual([
      ['face-parsing', 'my-parser'],
      ['attributes', 'my-attrs'],
    ]);
  });

  it('stores its scores for every face as model predictions that win over the derived ones', async () => {
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    expect((await waitForJob(host, job.id, 240_000)).state).toBe('done');
    const faces = (await call<Page<FaceSummary>>(host, 'faces.list', { datasetId: dataset.id })).items;
    expect(faces.length).toBeGreaterThan(0);
    const modelSays = new Map<number, string>();
    for (const f of faces) {
      const d = await call<FaceDetail>(host, 'faces.get', { id: f.id });
      const mine = d.predictions.filter((p) => p.modelId === 'my-attrs');
      expect(mine.map((p) => [p.task, p.source, p.modelVersion]).sort()).toEqual([
        ['Eyeglasses', 'model', '1.0.0'],
        ['Smiling', 'model', '1.0.0'],
      ]);
      const value = (task: string) =>
        mine.find((q) => q.task === task)!.value as { value: number; p: number };
      // Opposite logits: the two probabilities sum to 1 on any face, and each is strictly inside (0, 1).
      expect(value('Eyeglasses').p + value('Smiling').p).toBeCloseTo(1, 3);
      expect(value('Eyeglasses').p).toBeGreaterThan(0);
      expect(value('Eyeglasses').p).toBeLessThan(1);
      // Smiling also has a derived prediction, from the expression model and the mouth.
      expect(d.predictions.some((q) => q.task === 'Smiling' && q.source === 'derived')).toBe(true);
      modelSays.set(f.id, String(value('Smiling').value));
    }
    // The gallery reads the best prediction per face and key: this model's, not the derived one.
    for (const v of ['1', '-1']) {
      const page = await call<Page<FaceSummary>>(host, 'faces.list', {
        datasetId: dataset.id,
        attr: { key: 'Smiling', source: 'prediction', value: v },
      });
      const expected = [...modelSays].filter(([, s]) => s === v).map(([id]) => id);
      expect(page.items.map((f) => f.id).sort()).toEqual(expected.sort());
    }
  }, 300_000);
});
