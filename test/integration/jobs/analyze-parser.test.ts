// With a user's face-parsing model registered, analysis stores its maps (source `model`) instead of derived ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Dataset, FaceDetail, FaceSummary, Job, Page } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { PARSING_CLASSES } from '../../../src/shared/taxonomy';
import { copySamples, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { writeParsingModel } from '../../helpers/models/parsing-model';

let host: AppHost;
let cleanup: () => void;
let dataset: Dataset;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  copySamples(join(t.dir, 'photos'), ['sample1.jpg']);
  await writeParsingModel(join(t.dir, 'data', 'models'));
  host = await startTestApp(join(t.dir, 'data'));
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
    root: join(t.dir, 'photos'),
  });
  await waitForJob(host, created.job.id);
  dataset = created.dataset;
}, 300_000);
afterAll(async () => {
  await host.close();
  cleanup();
});

describe('analysis with a BYO face-parsing model', () => {
  it('stores the model map, at the model size, with every class it can express', async () => {
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    expect((await waitForJob(host, job.id, 240_000)).state).toBe('done');
    const faces = (await call<Page<FaceSummary>>(host, 'faces.list', { datasetId: dataset.id })).items;
    expect(faces.length).toBeGreaterThan(0);
    for (const f of faces) {
      const d = await call<FaceDetail>(host, 'faces.get', { id: f.id });
      expect(d.masks.map((m) => m.source)).toEqual(['model']);
      expect([...(d.masks[0]!.classes ?? [])].sort()).toEqual([...PARSING_CLASSES].sort());
      // The test model's class is round(red / 255): only background and skin occur, and they cover the box.
      const areas = d.masks[0]!.areas!;
      expect((areas.background ?? 0) + (areas.skin ?? 0)).toBeCloseTo(1, 5);
      expect(areas.eye_g).toBe(0);
    }
  });
});
