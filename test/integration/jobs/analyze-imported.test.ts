// Imported faces and analysis: one face per real face, whichever came first (issue #26.1).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, FaceDetail, FaceSummary, Job, Page } from '../../../src/shared/api';
import { CELEBA_ATTRIBUTES } from '../../../src/shared/taxonomy';
import type { AppHost } from '../../../src/main/app';
import { copySamples, DEMO_DIR, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { celebaRow, celebaValues } from '../../helpers/datasets/generate';

let host: AppHost;
let dir: string;
let cleanup: () => void;
/** sample1's three faces as the detector boxes them (left to right). */
let boxes: FaceSummary['box'][];

const faces = async (datasetId: number) =>
  (await call<Page<FaceSummary>>(host, 'faces.list', { datasetId, limit: 1000 })).items;

async function createDataset(root: string): Promise<Dataset> {
  const { dataset, job } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', { root });
  expect((await waitForJob(host, job.id)).state).toBe('done');
  return dataset;
}

async function analyse(datasetId: number, force = false): Promise<Job> {
  const job = await call<Job>(host, 'datasets.analyze', { datasetId, ep: 'cpu', force });
  const done = await waitForJob(host, job.id, 240_000);
  expect(done).toMatchObject({ state: 'done', failed: 0 });
  return done;
}

async function importLabels(datasetId: number, format: string, annotations: string): Promise<Job> {
  const job = await call<Job>(host, 'datasets.importAnnotations', { datasetId, format, annotations });
  const done = await waitForJob(host, job.id);
  expect(done.state).toBe('done');
  return done;
}

/** A CelebA-like aligned crop (178 x 218, the face in the middle at about half the width) of a sample1 face. */
async function alignedCrop(box: FaceSummary['box'], file: string): Promise<void> {
  const src = join(DEMO_DIR, 'sample1.jpg');
  const { width = 0, height = 0 } = await sharp(src).metadata();
  const w = Math.min(width, Math.round(box.w * 2));
  const h = Math.min(height, Math.round((w * 218) / 178));
  const left = Math.max(0, Math.min(width - w, Math.round(box.x + box.w / 2 - w / 2)));
  const top = Math.max(0, Math.min(height - h, Math.round(box.y + box.h / 2 - h / 2)));
  await sharp(src).extract({ left, top, width: w, height: h }).resize(178, 218).jpeg().toFile(file);
}

/** Every face has labels, a detection (landmarks, predictions, embeddings) and is its image's only face. */
async function expectOneLabelledDetectedFacePerImage(
  datasetId: number,
  images: number,
): Promise<FaceSummary[]> {
  const all = await faces(datasetId);
  expect(all).toHaveLength(images);
  expect(new Set(all.map((f) => f.imageId)).size).toBe(images);
  for (const f of all) {
    expect(f.source).toBe('imported');
    const d = await call<FaceDetail>(host, 'faces.get', { id: f.id });
    expect(d.labels.filter((l) => l.imported !== null).length, f.relPath).toBeGreaterThan(0);
    expect(d.landmarks, f.relPath).toHaveLength(468 * 3);
    expect(
      d.predictions.some((p) => p.task === 'gender' && p.source === 'model'),
      f.relPath,
    ).toBe(true);
    expect(d.embeddings.map((e) => e.modelId)).toEqual(['faceres']);
    // The face took the detection's box: inside the crop, smaller than the whole image.
    expect(f.box.w * f.box.h).toBeLessThan(0.8 * 178 * 218);
  }
  return all;
}

beforeAll(async () => {
  const t = tempDir('fi-imported-');
  dir = t.dir;
  cleanup = t.cleanup;
  copySamples(join(dir, 'photos'), ['sample1.jpg']);
  host = await startTestApp(join(dir, 'data'));
  const photos = await createDataset(join(dir, 'photos'));
  await analyse(photos.id);
  boxes = (await faces(photos.id)).map((f) => f.box).sort((a, b) => a.x - b.x);
  expect(boxes).toHaveLength(3);
}, 300_000);

afterAll(async () => {
  await host?.close();
  cleanup?.();
});

describe('aligned crops with imported labels', () => {
  it('CelebA: import then analyse gives one face per image with labels and detection, also on re-analysis', async () => {
    const root = join(dir, 'img_align_celeba');
    mkdirSync(root);
    const names = boxes.map((_, i) => `${String(i + 1).padStart(6, '0')}.jpg`);
    for (const [i, b] of boxes.entries()) await alignedCrop(b, join(root, names[i]!));
    const attr = join(dir, 'list_attr_celeba.txt');
    writeFileSync(
      attr,
      [
        String(names.length),
        CELEBA_ATTRIBUTES.join(' '),
        ...names.map((n, i) => celebaRow(n, celebaValues(i))),
      ]
        .join('\n')
        .concat('\n'),
    );
    const ds = await createDataset(root);
    await importLabels(ds.id, 'celeba', attr);
    const job = await analyse(ds.id);
    expect(job.summary.faces).toBe(3);
    const first = await expectOneLabelledDetectedFacePerImage(ds.id, 3);

    // Idempotent: a forced second analysis adds no face and keeps ids and boxes.
    await analyse(ds.id, true);
    const again = await expectOneLabelledDetectedFacePerImage(ds.id, 3);
    expect(again.map((f) => f.id)).toEqual(first.map((f) => f.id));
    for (const [i, f] of again.entries()) {
      expect(f.box.x).toBeCloseTo(first[i]!.box.x, 0);
      expect(f.box.w).toBeCloseTo(first[i]!.box.w, 0);
    }

    // Every export counts one face per image.
    const out = join(dir, 'export-celeba');
    const exp = await call<Job>(host, 'exports.start', { datasetId: ds.id, format: 'json', out });
    const exported = await waitForJob(host, exp.id);
    expect(exported).toMatchObject({ state: 'done', summary: { faces: 3 } });
    const stats = await call<{ items: { datasetId: number; faces: number }[] }>(host, 'datasets.stats', {
      datasetId: ds.id,
    });
    expect(stats.items[0]).toMatchObject({ faces: 3 });
  });

  it('UTKFace: labels from file names, analysed before or after the import, one face per image', async () => {
    const root = join(dir, 'UTKFace');
    mkdirSync(root);
    const names = ['26_1_0_20170116174525125.jpg.chip.jpg', '31_1_1_20170116174525126.jpg.chip.jpg'];
    for (const [i, n] of names.entries()) await alignedCrop(boxes[i]!, join(root, n));
    const before = await createDataset(root);
    await importLabels(before.id, 'utkface', root);
    await analyse(before.id);
    await expectOneLabelledDetectedFacePerImage(before.id, 2);

    // Analysed first (one detected face each), then imported: the import takes the detections over.
    const copy = join(dir, 'UTKFace-later');
    mkdirSync(copy);
    for (const [i, n] of names.entries()) await alignedCrop(boxes[i]!, join(copy, n));
    const after = await createDataset(copy);
    await analyse(after.id);
    const detected = await faces(after.id);
    expect(detected.map((f) => f.source)).toEqual(['detected', 'detected']);
    await call(host, 'labels.set', { faceId: detected[0]!.id, key: 'Smiling', value: 1 });
    await importLabels(after.id, 'utkface', copy);
    const merged = await expectOneLabelledDetectedFacePerImage(after.id, 2);
    const kept = merged.find((f) => f.imageId === detected[0]!.imageId)!;
    const d = await call<FaceDetail>(host, 'faces.get', { id: kept.id });
    // The human label on the detection and its history moved to the imported face.
    expect(d.labels).toContainEqual(expect.objectContaining({ key: 'Smiling', human: '1' }));
    expect(d.labels).toContainEqual(expect.objectContaining({ key: 'age', imported: expect.any(String) }));
    expect(d.history.length).toBeGreaterThan(0);
    // A later analysis has nothing to add.
    await analyse(after.id, true);
    await expectOneLabelledDetectedFacePerImage(after.id, 2);
  });
});

describe('a group photo with one imported box', () => {
  it('keeps the imported face on its own box and adds the other faces as new detections', async () => {
    const root = join(dir, 'group');
    copySamples(root, ['sample1.jpg']);
    const anno = join(dir, 'group-anno', 'Anno');
    mkdirSync(anno, { recursive: true });
    writeFileSync(
      join(anno, 'list_attr_celeba.txt'),
      `1\n${CELEBA_ATTRIBUTES.join(' ')}\n${celebaRow('sample1.jpg', celebaValues(0))}\n`,
    );
    // CelebA's boxes are looser than the detector's: 20 % wider on each side.
    const b = boxes[1]!;
    const loose = [b.x - 0.2 * b.w, b.y - 0.2 * b.h, 1.4 * b.w, 1.4 * b.h].map(Math.round);
    writeFileSync(
      join(anno, 'list_bbox_celeba.txt'),
      `1\nimage_id x_1 y_1 width height\nsample1.jpg ${loose.join(' ')}\n`,
    );
    const ds = await createDataset(root);
    await importLabels(ds.id, 'celeba', join(dir, 'group-anno'));
    await analyse(ds.id);
    const all = await faces(ds.id);
    expect(all).toHaveLength(3);
    const imported = all.filter((f) => f.source === 'imported');
    expect(imported).toHaveLength(1);
    expect([imported[0]!.box.x, imported[0]!.box.y, imported[0]!.box.w, imported[0]!.box.h]).toEqual(loose);
    expect(all.filter((f) => f.source === 'detected')).toHaveLength(2);
    await analyse(ds.id, true);
    expect(await faces(ds.id)).toHaveLength(3);
  });
});
