// stats.agreement on a real app: label distributions, model-vs-label agreement and confusion matrices.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, FaceSummary, Job, Page, Res } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { openStore } from '../../../src/main/store/index';
import { copySamples, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { seedFaces } from '../../helpers/gallery-seed';

let host: AppHost;
let cleanup: () => void;
let dataset: Dataset;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  copySamples(join(t.dir, 'photos'), ['sample1.jpg', 'sample2.jpg']);
  host = await startTestApp(join(t.dir, 'data'));
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
    root: join(t.dir, 'photos'),
  });
  await waitForJob(host, created.job.id);
  dataset = created.dataset;
  const store = openStore(host.info.dbPath);
  seedFaces(store, dataset.id, 300);
  store.close();
}, 120_000);
afterAll(async () => {
  await host.close();
  cleanup();
});

describe('stats.agreement', () => {
  it('compares effective labels with thresholded predictions per attribute', async () => {
    const res = await call<Res<'stats.agreement'>>(host, 'stats.agreement', { datasetId: dataset.id });
    // seedFaces labels every third face's Smiling (alternating +1 / -1) and predicts Smiling on all.
    expect(res.faces).toBe(100);
    const smiling = res.attributes.find((a) => a.key === 'Smiling')!;
    expect(smiling.labels).toEqual({ '1': 50, '-1': 50 });
    expect(smiling.n).toBe(100);
    expect(smiling.accuracy).toBeGreaterThan(0.3);
    expect(smiling.accuracy).toBeLessThan(0.7);
    expect(smiling.balancedAccuracy).not.toBeNull();
    expect(res.attributes.find((a) => a.key === 'Bald')).toMatchObject({ n: 0, accuracy: null });
  });

  it('fills the gender confusion matrix from labels set in bulk', async () => {
    const faces = await call<Page<FaceSummary>>(host, 'faces.list', { datasetId: dataset.id, limit: 10 });
    const ids = faces.items.map((f) => f.id);
    await call(host, 'labels.bulkSet', { faceIds: ids, key: 'gender', value: 'Female' });
    const res = await call<Res<'stats.agreement'>>(host, 'stats.agreement', { datasetId: dataset.id });
    const gender = res.confusions.find((c) => c.key === 'gender')!;
    expect(gender.classes).toEqual(['Male', 'Female']);
    // Row "Female" (labels) holds all ten faces, split by what the model said.
    expect(gender.counts[2]! + gender.counts[3]!).toBe(10);
    expect(gender.counts[0]! + gender.counts[1]!).toBe(0);
  });

  it('refuses an unknown dataset', async () => {
    await expect(call(host, 'stats.agreement', { datasetId: 999 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
