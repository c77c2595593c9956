// A dataset's "images are face crops" mode end to end (issue #28.1): auto, the setter, the analysis key, importers.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, FaceSummary, Job, Page } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { DEMO_DIR, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { makeUtk } from '../../helpers/datasets/generate';

let host: AppHost;
let dir: string;
let cleanup: () => void;

/** sample4's leftmost face and sample1's leftmost, cut tight on the detector's boxes (see analysis/face-crops). */
const CUTS = {
  'sample4.jpg': { left: 239, top: 235, width: 177, height: 202 },
  'sample1.jpg': { left: 419, top: 382, width: 180, height: 223 },
};

const facesOf = async (datasetId: number) =>
  (await call<Page<FaceSummary>>(host, 'faces.list', { datasetId, limit: 1000 })).items;

async function createDataset(root: string): Promise<Dataset> {
  const { dataset, job } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', { root });
  expect((await waitForJob(host, job.id)).state).toBe('done');
  return dataset;
}

async function analyse(datasetId: number): Promise<Job> {
  const job = await call<Job>(host, 'datasets.analyze', { datasetId, ep: 'cpu' });
  const done = await waitForJob(host, job.id, 240_000);
  expect(done).toMatchObject({ state: 'done', failed: 0 });
  return done;
}

beforeAll(async () => {
  const t = tempDir();
  dir = t.dir;
  cleanup = t.cleanup;
  host = await startTestApp(join(dir, 'data'));
}, 120_000);

afterAll(async () => {
  await host?.close();
  cleanup?.();
});

describe('face-crops mode', () => {
  it('is on for a folder of small crops (auto): every crop one face; off analyses them again as photos', async () => {
    const root = join(dir, 'crops');
    mkdirSync(root, { recursive: true });
    for (const [w, h] of [
      [48, 48],
      [89, 109],
      [200, 200],
    ]) {
      await sharp(join(DEMO_DIR, 'sample4.jpg'))
        .extract(CUTS['sample4.jpg'])
        .resize(w, h, { fit: 'fill' })
        .jpeg()
        .toFile(join(root, `s4-${w}x${h}.jpg`));
    }
    await sharp(join(DEMO_DIR, 'sample1.jpg'))
      .extract(CUTS['sample1.jpg'])
      .resize(200, 200, { fit: 'fill' })
      .jpeg()
      .toFile(join(root, 's1-200x200.jpg'));
    const ds = await createDataset(root);
    expect(ds.faceCrops).toBe('auto');
    expect((await analyse(ds.id)).summary.faces).toBe(4);
    const faces = await facesOf(ds.id);
    expect(faces.map((f) => f.relPath).sort()).toEqual([
      's1-200x200.jpg',
      's4-200x200.jpg',
      's4-48x48.jpg',
      's4-89x109.jpg',
    ]);

    const off = await call<Dataset>(host, 'datasets.setFaceCrops', { id: ds.id, faceCrops: 'off' });
    expect(off.faceCrops).toBe('off');
    // The mode is part of the analysis key: a plain analyze redoes every image.
    const again = await analyse(ds.id);
    expect(again.done).toBe(4);
    const count = (name: string, all: FaceSummary[]) => all.filter((f) => f.relPath === name).length;
    const photos = await facesOf(ds.id);
    // As photos: sample4's tight crops are missed, sample1's is found twice (what the mode is for).
    expect(count('s4-48x48.jpg', photos)).toBe(0);
    expect(count('s1-200x200.jpg', photos)).toBe(2);
    await expect(
      call(host, 'datasets.setFaceCrops', { id: ds.id, faceCrops: 'sometimes' }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('is turned on by a UTKFace import; its faces absorb the one face each image yields', async () => {
    const fx = await makeUtk(join(dir, 'utk'));
    const ds = await createDataset(fx.root);
    const job = await call<Job>(host, 'datasets.importAnnotations', {
      datasetId: ds.id,
      format: 'utkface',
      annotations: fx.root,
    });
    expect((await waitForJob(host, job.id)).state).toBe('done');
    expect((await call<Dataset>(host, 'datasets.get', { id: ds.id })).faceCrops).toBe('on');
    // One face per image: the imported face (it covers the image) takes the one face the mode gives, even where
    // that is the whole image (the generated images hold no face).
    await analyse(ds.id);
    const faces = await facesOf(ds.id);
    expect(faces).toHaveLength(4);
    expect(new Set(faces.map((f) => f.imageId)).size).toBe(4);
    expect(faces.filter((f) => f.source === 'imported')).toHaveLength(3);
  });
});
