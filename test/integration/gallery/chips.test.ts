// Face tiles' chips: per face the label of gender / age / race / expression where there is one, else the best
// prediction with its confidence, in one extra query per page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Dataset, FaceSummary, Job, Page } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { copySamples, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';

let host: AppHost;
let cleanup: () => void;
let dataset: Dataset;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  copySamples(join(t.dir, 'photos'), ['sample1.jpg']);
  host = await startTestApp(join(t.dir, 'data'));
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
    root: join(t.dir, 'photos'),
  });
  await waitForJob(host, created.job.id);
  dataset = created.dataset;
  const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
  expect((await waitForJob(host, job.id, 240_000)).state).toBe('done');
}, 300_000);
afterAll(async () => {
  await host.close();
  cleanup();
});

describe('faces.list chips', () => {
  it('shows predictions with their confidence, and a label in place of its prediction', async () => {
    const list = async () =>
      (await call<Page<FaceSummary>>(host, 'faces.list', { datasetId: dataset.id })).items;
    const before = await list();
    expect(before.length).toBeGreaterThan(1);
    for (const f of before) {
      const keys = f.chips!.map((c) => c.key);
      // Every analysed face has the four predictions; age shows whole years (it has no confidence).
      expect(keys).toEqual(['gender', 'age', 'race', 'expression']);
      for (const c of f.chips!) {
        expect(c.source).toBe('prediction');
        if (c.key === 'age') expect(c.value).toMatch(/^\d{1,3}$/);
        else {
          expect(c.conf).toBeGreaterThan(0);
          expect(c.conf).toBeLessThanOrEqual(1);
        }
      }
    }
    const [a, b] = before as [FaceSummary, FaceSummary];
    const predicted = a.chips!.find((c) => c.key === 'gender')!.value;
    const other = predicted === 'Male' ? 'Female' : 'Male';
    await call(host, 'labels.set', { faceId: a.id, key: 'gender', value: other });
    await call(host, 'labels.set', { faceId: a.id, key: 'age', value: 34 });
    const after = await list();
    const chipsOf = (id: number) => after.find((f) => f.id === id)!.chips!;
    expect(chipsOf(a.id).slice(0, 2)).toEqual([
      { key: 'gender', value: other, source: 'label' },
      { key: 'age', value: '34', source: 'label' },
    ]);
    expect(chipsOf(b.id)).toEqual(b.chips);
  });
});
