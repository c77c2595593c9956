// FairFace, UTKFace, RAF-DB and ExpW: round trips on generated layouts, edits in exports, refusals; JSON / COCO.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../src/shared/errors';
import type { Store } from '../../../src/main/store/index';
import { importAnnotations } from '../../../src/main/datasets/formats/import';
import { exportDataset } from '../../../src/main/datasets/formats/export';
import { makeExpw, makeFairFace, makeRafdb, makeUtk, seedDataset } from '../../helpers/datasets/generate';
import { tempStores } from '../../helpers/store';

const setup = tempStores('fi-formats-');

function faceOf(store: Store, datasetId: number, relPath: string, idx = 0) {
  const img = store.images.page({ datasetId, limit: 1000 }).items.find((i) => i.relPath === relPath)!;
  return store.faces.byImage(img.id)[idx]!;
}

function labelsOf(store: Store, faceId: number): Record<string, string> {
  return Object.fromEntries(store.labels.forFace(faceId).map((l) => [`${l.key}:${l.source}`, l.value]));
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('FairFace', () => {
  it('round-trips both CSVs byte for byte, in their own row order, with splits', async () => {
    const { dir, store } = setup();
    const fx = await makeFairFace(dir);
    const datasetId = await seedDataset(store, fx.root);
    const report = await importAnnotations(store, { datasetId, format: 'fairface', annotations: fx.root });
    expect(report).toMatchObject({ faces: 6, labels: 18, skipped: 0 });
    const face = faceOf(store, datasetId, 'train/10.jpg');
    expect(labelsOf(store, face.id)).toEqual({
      'age_bucket:import': '70+',
      'gender:import': 'Female',
      'race:import': 'Latino_Hispanic',
    });
    const out = join(dir, 'out');
    const exp = await exportDataset(store, { datasetId, format: 'fairface', out });
    expect(exp.files).toEqual(['fairface_label_train.csv', 'fairface_label_val.csv', 'provenance.json']);
    expect(readFileSync(join(out, 'fairface_label_train.csv'), 'utf8')).toBe(readFileSync(fx.train, 'utf8'));
    expect(readFileSync(join(out, 'fairface_label_val.csv'), 'utf8')).toBe(readFileSync(fx.val, 'utf8'));
  });

  it('exports a human race edit and nothing else', async () => {
    const { dir, store } = setup();
    const fx = await makeFairFace(dir);
    const datasetId = await seedDataset(store, fx.root);
    await importAnnotations(store, { datasetId, format: 'fairface', annotations: fx.root });
    const face = faceOf(store, datasetId, 'train/2.jpg');
    store.write(() => store.labels.setHuman({ faceId: face.id, key: 'race', value: 'White', actor: 'test' }));
    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'fairface', out });
    const want = readFileSync(fx.train, 'utf8').replace(
      'train/2.jpg,30-39,Female,Indian,False',
      'train/2.jpg,30-39,Female,White,False',
    );
    expect(readFileSync(join(out, 'fairface_label_train.csv'), 'utf8')).toBe(want);
  });

  it.each([
    ['header missing', 'train/1.jpg,50-59,Male,East Asian,True\n', 1, /header missing/],
    [
      'wrong column count',
      'file,age,gender,race,service_test\ntrain/1.jpg,50-59,Male\n',
      2,
      /wrong column count: expected 5, got 3/,
    ],
    [
      'bad race',
      'file,age,gender,race,service_test\ntrain/1.jpg,50-59,Male,Asian,True\n',
      2,
      /field "race": expected one of White/,
    ],
    [
      'duplicate',
      'file,age,gender,race,service_test\ntrain/1.jpg,50-59,Male,White,True\ntrain/1.jpg,50-59,Male,White,True\n',
      3,
      /duplicate file name "train\/1.jpg"/,
    ],
    ['empty', '', 1, /empty file/],
  ])('refuses %s at its line', async (_name, text, line, message) => {
    const { dir, store } = setup();
    const fx = await makeFairFace(dir);
    const datasetId = await seedDataset(store, fx.root);
    const file = join(dir, 'fairface_label_train.csv');
    writeFileSync(file, text);
    const err = await refusal(importAnnotations(store, { datasetId, format: 'fairface', annotations: file }));
    expect(err.message).toMatch(message);
    expect(err.where).toMatchObject({ file: 'fairface_label_train.csv', line });
    expect(store.faces.byImage(store.images.page({ datasetId }).items[0]!.id)).toEqual([]);
  });
});

describe('UTKFace', () => {
  it('reads labels from file names, warns about malformed ones, and exports renamed copies', async () => {
    const { dir, store } = setup();
    const fx = await makeUtk(dir);
    const datasetId = await seedDataset(store, fx.root);
    const report = await importAnnotations(store, { datasetId, format: 'utkface', annotations: fx.root });
    expect(report).toMatchObject({ faces: 3, labels: 9, warningCount: 1 });
    expect(report.warnings[0]?.message).toMatch(
      /"39_1_20170116174525125.jpg.chip.jpg" is not age_gender_race_date.jpg/,
    );
    const face = faceOf(store, datasetId, '80_0_3_20170111201008732.jpg.chip.jpg');
    expect(labelsOf(store, face.id)).toEqual({
      'age:import': '80',
      'gender:import': 'Male',
      'race:import': 'Indian',
    });

    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'utkface', out });
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith('.jpg'))
        .sort(),
    ).toEqual([...fx.names].sort());
    for (const n of fx.names)
      expect(readFileSync(join(out, n)).equals(readFileSync(join(fx.root, n)))).toBe(true);

    store.write(() => store.labels.setHuman({ faceId: face.id, key: 'age', value: '79', actor: 'test' }));
    const out2 = join(dir, 'out2');
    await exportDataset(store, { datasetId, format: 'utkface', out: out2 });
    expect(
      readdirSync(out2)
        .filter((f) => f.endsWith('.jpg'))
        .sort(),
    ).toEqual(fx.names.map((n) => n.replace(/^80_/, '79_')).sort());
  });
});

describe('RAF-DB', () => {
  it('matches list names to aligned images, keeps splits and the list order', async () => {
    const { dir, store } = setup();
    const fx = await makeRafdb(dir);
    const datasetId = await seedDataset(store, fx.root);
    const report = await importAnnotations(store, {
      datasetId,
      format: 'rafdb',
      annotations: join(fx.root, '..', '..'),
    });
    expect(report).toMatchObject({ faces: 5, skipped: 0 });
    const face = faceOf(store, datasetId, 'train_00001_aligned.jpg');
    expect(labelsOf(store, face.id)).toEqual({ 'expression:import': 'sad' });
    const img = store.images.page({ datasetId }).items.find((i) => i.relPath === 'test_0001_aligned.jpg')!;
    expect(store.annotations.images(datasetId).find((i) => i.id === img.id)).toBeTruthy();
    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'rafdb', out });
    expect(readFileSync(join(out, 'list_patition_label.txt'), 'utf8')).toBe(readFileSync(fx.list, 'utf8'));
    const rows = [...store.annotations.exportRows({ datasetId, reviewedOnly: false, predictions: false })];
    expect(rows.map((r) => r.split)).toEqual(['train', 'train', 'train', 'test', 'test']);
  });

  it('refuses an expression id outside 1-7', async () => {
    const { dir, store } = setup();
    const fx = await makeRafdb(dir);
    const datasetId = await seedDataset(store, fx.root);
    writeFileSync(fx.list, 'train_00001.jpg 5\ntrain_00002.jpg 8\n');
    const err = await refusal(importAnnotations(store, { datasetId, format: 'rafdb', annotations: fx.list }));
    expect(err.message).toBe(
      'list_patition_label.txt:2:17: field "expression": expected an integer from 1 to 7, got "8"',
    );
  });
});

describe('ExpW', () => {
  it('imports several boxed faces per image and writes label.lst back unchanged', async () => {
    const { dir, store } = setup();
    const fx = await makeExpw(dir);
    const datasetId = await seedDataset(store, fx.root);
    const report = await importAnnotations(store, { datasetId, format: 'expw', annotations: fx.list });
    expect(report).toMatchObject({ faces: 4, created: 4 });
    expect(faceOf(store, datasetId, 'angry_actor_104.jpg', 1)).toMatchObject({
      x: 30,
      y: 10,
      w: 14,
      h: 30,
      source: 'imported',
    });
    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'expw', out });
    expect(readFileSync(join(out, 'label.lst'), 'utf8')).toBe(readFileSync(fx.list, 'utf8'));
  });

  it('refuses a box whose right edge is left of its left edge', async () => {
    const { dir, store } = setup();
    const fx = await makeExpw(dir);
    const datasetId = await seedDataset(store, fx.root);
    writeFileSync(fx.list, 'happy_boy_12.jpg 0 1 40 2 41 80.9 3\n');
    const err = await refusal(importAnnotations(store, { datasetId, format: 'expw', annotations: fx.list }));
    expect(err.message).toMatch(/^label.lst:1:\d+: field "right": expected right > left/);
  });
});

describe('app JSON and COCO', () => {
  it('writes one record per face with values and their sources, and COCO annotations', async () => {
    const { dir, store } = setup();
    const fx = await makeExpw(dir);
    const datasetId = await seedDataset(store, fx.root);
    await importAnnotations(store, { datasetId, format: 'expw', annotations: fx.list });
    const face = faceOf(store, datasetId, 'happy_boy_12.jpg');
    store.write(() =>
      store.labels.setHuman({ faceId: face.id, key: 'expression', value: 'surprise', actor: 'test' }),
    );
    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'json', out });
    const doc = JSON.parse(readFileSync(join(out, 'faces.json'), 'utf8'));
    expect(doc.faces).toHaveLength(4);
    const rec = doc.faces.find((f: { faceId: number }) => f.faceId === face.id);
    expect(rec).toMatchObject({
      image: 'happy_boy_12.jpg',
      face: { source: 'imported', box: [2, 1, 38, 40] },
      values: { expression: { value: 'surprise', source: 'human' } },
      review: 'unreviewed',
    });
    await exportDataset(store, { datasetId, format: 'coco', out: join(dir, 'coco') });
    const coco = JSON.parse(readFileSync(join(dir, 'coco', 'coco.json'), 'utf8'));
    expect(coco.images).toHaveLength(3);
    expect(coco.annotations).toHaveLength(4);
    expect(coco.annotations.find((a: { id: number }) => a.id === face.id)).toMatchObject({
      bbox: [2, 1, 38, 40],
      attributes: { expression: 'surprise' },
      attribute_sources: { expression: 'human' },
    });
  });
});
