// The analyze job stores every face's outputs in one transaction per image and re-runs without losing human work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Dataset, FaceDetail, FaceSummary, Job, Page } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { openStore } from '../../../src/main/store/index';
import { copySamples, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';

let host: AppHost;
let cleanup: () => void;
let dataset: Dataset;

const faces = async (imageId?: number) =>
  (await call<Page<FaceSummary>>(host, 'faces.list', { datasetId: dataset.id, imageId, limit: 1000 })).items;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  copySamples(join(t.dir, 'photos'), ['sample1.jpg', 'sample2.jpg', 'sample3.jpg']);
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

describe('analyze job', () => {
  let first: FaceSummary[];

  it('stores faces with predictions, a mask with areas and embeddings for every image', async () => {
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    const done = await waitForJob(host, job.id, 240_000);
    expect(done).toMatchObject({ state: 'done', total: 3, failed: 0 });
    first = await faces();
    expect(first.length).toBe(done.summary.faces);
    expect(new Set(first.map((f) => f.imageId)).size).toBe(3);
    for (const f of first) {
      const d = await call<FaceDetail>(host, 'faces.get', { id: f.id });
      const tasks = new Set(d.predictions.map((p) => p.task));
      for (const t of ['gender', 'age', 'race', 'expression', 'Male', 'Young', 'Smiling'])
        expect(tasks, t).toContain(t);
      expect(d.masks).toHaveLength(1);
      expect(d.masks[0]).toMatchObject({ source: 'derived', version: 1 });
      expect(d.masks[0]!.areas?.skin).toBeGreaterThan(0.01);
      // mobilefacenet only where the dataset's learning trains on it (next test).
      expect(d.embeddings.map((e) => [e.modelId, e.dims])).toEqual([['faceres', 1024]]);
      expect(d.landmarks).toHaveLength(468 * 3);
      const gender = d.predictions.find((p) => p.task === 'gender');
      // face-api's AgeGenderNet serves gender and age by default (docs/models.md).
      expect(gender).toMatchObject({ modelId: 'faceapi-agegender', source: 'model' });
      expect(gender?.modelVersion).toMatch(/\S/);
    }
  });

  it('has nothing to do on a second run with the same models', async () => {
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id });
    const done = await waitForJob(host, job.id);
    expect(done).toMatchObject({ state: 'done', total: 0 });
  });

  it('computes mobilefacenet embeddings once the learning settings train on them, re-analysing every image', async () => {
    await call(host, 'learning.settings', { datasetId: dataset.id, embeddingModel: 'mobilefacenet' });
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    expect(await waitForJob(host, job.id)).toMatchObject({ state: 'done', total: 3, failed: 0 });
    for (const f of await faces()) {
      const d = await call<FaceDetail>(host, 'faces.get', { id: f.id });
      expect(d.embeddings.map((e) => [e.modelId, e.dims]).sort()).toEqual([
        ['faceres', 1024],
        ['mobilefacenet', 192],
      ]);
    }
    await call(host, 'learning.settings', { datasetId: dataset.id, embeddingModel: 'faceres' });
  });

  it('re-runs one image keeping face ids, human labels and review status', async () => {
    const face = first[0]!;
    await call(host, 'labels.set', { faceId: face.id, key: 'Eyeglasses', value: 1 });
    const store = openStore(host.info.dbPath);
    store.write(() => store.faces.setReview(face.id, 'reviewed'));
    store.close();
    const before = await faces(face.imageId);
    const job = await call<Job>(host, 'images.analyze', { imageId: face.imageId });
    expect((await waitForJob(host, job.id)).state).toBe('done');
    const after = await faces(face.imageId);
    expect(after.map((f) => f.id)).toEqual(before.map((f) => f.id));
    const d = await call<FaceDetail>(host, 'faces.get', { id: face.id });
    expect(d.labels).toContainEqual({ key: 'Eyeglasses', human: '1', imported: null, effective: '1' });
    expect(d.face.review).toBe('reviewed');
    expect(d.masks.filter((m) => m.source === 'derived')).toHaveLength(1);
    const db = new Database(host.info.dbPath, { readonly: true });
    const dupes = db
      .prepare(
        `SELECT count(*) FROM (SELECT face_id, task, count(*) n FROM predictions GROUP BY 1, 2 HAVING n > 1)`,
      )
      .pluck()
      .get();
    expect(dupes).toBe(0);
    db.close();
  });

  it('analyses an imported face from its own box and drops the detection it stands for', async () => {
    const image = (await faces()).find((f) => f.relPath === 'sample2.jpg')!;
    const detectedHere = await faces(image.imageId);
    const target = detectedHere[0]!;
    // Import a box equal to a detected face's box; the detection must give way to it.
    const store = openStore(host.info.dbPath);
    const importedId = store.write(() => {
      store.faces.delete(target.id);
      return store.faces.insert({
        imageId: target.imageId,
        idx: 100,
        ...target.box,
        detScore: null,
        source: 'imported',
        landmarks: null,
      });
    });
    store.close();
    const job = await call<Job>(host, 'images.analyze', { imageId: target.imageId });
    expect((await waitForJob(host, job.id)).state).toBe('done');
    const now = await faces(target.imageId);
    expect(now).toHaveLength(detectedHere.length);
    const imported = now.find((f) => f.id === importedId)!;
    expect(imported.source).toBe('imported');
    expect(imported.box).toEqual(target.box);
    const d = await call<FaceDetail>(host, 'faces.get', { id: importedId });
    expect(d.predictions.length).toBeGreaterThan(5);
    expect(d.landmarks).toHaveLength(468 * 3);
  });

  it('refuses to analyse an unknown image', async () => {
    const env = await host.call('images.analyze', { imageId: 999999 });
    expect(!env.ok && env.error.code).toBe('not_found');
  });
});
