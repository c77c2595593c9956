// Generic CSV / TSV with a column mapping, and the app's own JSON read back (round trip with its export).
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../src/shared/errors';
import { openStore, type Store } from '../../../src/main/store/index';
import { importAnnotations } from '../../../src/main/datasets/formats/import';
import { exportDataset } from '../../../src/main/datasets/formats/export';
import { makeCeleba, makeExpw, seedDataset, writeImage } from '../../helpers/datasets/generate';
import { tempDir } from '../../helpers/fs';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(): { dir: string; store: Store } {
  const t = tempDir('fi-generic-');
  const store = openStore(join(t.dir, 'db.sqlite'));
  cleanups.push(t.cleanup, () => store.close());
  return { dir: t.dir, store };
}

function labelsByImage(store: Store, datasetId: number): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const img of store.images.page({ datasetId, limit: 1000 }).items)
    for (const f of store.faces.byImage(img.id))
      out[`${img.relPath}#${f.idx}`] = Object.fromEntries(
        store.labels.forFace(f.id).map((l) => [`${l.key}:${l.source}`, l.value]),
      );
  return out;
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function images(dir: string, names: string[]): Promise<string> {
  const root = join(dir, 'imgs');
  for (const [i, n] of names.entries()) await writeImage(join(root, n), i);
  return root;
}

describe('generic CSV', () => {
  it('imports mapped columns, normalising 1/0 and case, with splits', async () => {
    const { dir, store } = setup();
    const root = await images(dir, ['a.jpg', 'b.jpg', 'sub/c.jpg']);
    const csv = join(dir, 'labels.csv');
    writeFileSync(
      csv,
      [
        'image,smile,glasses,sex,years,set,note',
        'a.jpg,1,0,male,34,train,"hello, world"',
        'b.jpg,0,true,Female,,valid,',
        'sub/c.jpg,-1,no,FEMALE,7,test,x',
      ].join('\r\n'),
    );
    const datasetId = await seedDataset(store, root);
    const rep = await importAnnotations(store, {
      datasetId,
      format: 'csv',
      annotations: csv,
      map: {
        file: 'image',
        Smiling: 'smile',
        Eyeglasses: 'glasses',
        gender: 'sex',
        age: 'years',
        split: 'set',
      },
    });
    expect(rep).toMatchObject({ faces: 3, labels: 11, skipped: 0 });
    expect(labelsByImage(store, datasetId)).toEqual({
      'a.jpg#0': {
        'Smiling:import': '1',
        'Eyeglasses:import': '-1',
        'gender:import': 'Male',
        'age:import': '34',
      },
      'b.jpg#0': { 'Smiling:import': '-1', 'Eyeglasses:import': '1', 'gender:import': 'Female' },
      'sub/c.jpg#0': {
        'Smiling:import': '-1',
        'Eyeglasses:import': '-1',
        'gender:import': 'Female',
        'age:import': '7',
      },
    });
    const rows = [...store.annotations.exportRows({ datasetId, reviewedOnly: false, predictions: false })];
    expect(rows.map((r) => r.split)).toEqual(['train', 'val', 'test']);
  });

  it('reads a TSV by its own column names and boxes, several faces per image', async () => {
    const { dir, store } = setup();
    const root = await images(dir, ['a.jpg', 'b.jpg']);
    const tsv = join(dir, 'faces.tsv');
    writeFileSync(
      tsv,
      [
        'file\tx\ty\tw\th\texpression\trace',
        'a.jpg\t1\t2\t20\t20\tHappy\tEast Asian',
        'a.jpg\t22\t2\t20\t20\tsad\t',
        'b.jpg\t0\t0\t48\t48\tneutral\tWhite',
      ].join('\n') + '\n',
    );
    const datasetId = await seedDataset(store, root);
    const rep = await importAnnotations(store, { datasetId, format: 'csv', annotations: tsv });
    expect(rep).toMatchObject({ faces: 3, created: 3, labels: 5 });
    const a = store.images.page({ datasetId, limit: 10 }).items[0]!;
    expect(store.faces.byImage(a.id).map((f) => [f.x, f.y, f.w, f.h])).toEqual([
      [1, 2, 20, 20],
      [22, 2, 20, 20],
    ]);
    expect(labelsByImage(store, datasetId)['a.jpg#1']).toEqual({ 'expression:import': 'sad' });
  });

  it.each([
    [
      'an unknown mapped column',
      'image,smile\na.jpg,1\n',
      { file: 'image', Smiling: 'smiel' },
      /labels\.csv:1:1: field "Smiling": mapped column "smiel" is not in the header \(did you mean "smile"\?\)/,
    ],
    [
      'an unknown label key',
      'image,smile\na.jpg,1\n',
      { file: 'image', Smilling: 'smile' },
      /field "Smilling": mapping names an unknown label \(did you mean "Smiling"\?\)/,
    ],
    [
      'a bad value with line and column',
      'file,Smiling,age\na.jpg,1,3\nb.jpg,2,4\n',
      undefined,
      /labels\.csv:3:7: field "Smiling": expected 1 or -1/,
    ],
    [
      'an age out of range',
      'file,age\na.jpg,130\n',
      undefined,
      /labels\.csv:2:7: field "age": expected an integer age from 0 to 120/,
    ],
    [
      'a duplicate file name',
      'file,Smiling\na.jpg,1\na.jpg,-1\n',
      undefined,
      /labels\.csv:3:1: field "file": duplicate file name "a\.jpg"/,
    ],
    ['no image column', 'picture,Smiling\na.jpg,1\n', undefined, /no image column/],
    [
      'a wrong column count',
      'file,Smiling\na.jpg,1,1\n',
      undefined,
      /labels\.csv:2:9: wrong column count: expected 2, got 3/,
    ],
  ])('refuses %s and writes nothing', async (_name, text, map, message) => {
    const { dir, store } = setup();
    const root = await images(dir, ['a.jpg', 'b.jpg']);
    const csv = join(dir, 'labels.csv');
    writeFileSync(csv, text);
    const datasetId = await seedDataset(store, root);
    const err = await refusal(
      importAnnotations(store, { datasetId, format: 'csv', annotations: csv, ...(map ? { map } : {}) }),
    );
    expect(err.code).toBe('parse_error');
    expect(err.message).toMatch(message);
    expect(labelsByImage(store, datasetId)).toEqual({});
  });

  it('round-trips its export: labels.csv imports back to the same labels and boxes', async () => {
    const { dir, store } = setup();
    const fx = await makeExpw(dir);
    const datasetId = await seedDataset(store, fx.root);
    await importAnnotations(store, { datasetId, format: 'expw', annotations: fx.list });
    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'csv', out });
    const text = readFileSync(join(out, 'labels.csv'), 'utf8');
    expect(text.split('\n')[0]).toBe('file,split,x,y,w,h,expression');
    const other = openStore(join(dir, 'other.sqlite'));
    cleanups.push(() => other.close());
    const otherId = await seedDataset(other, fx.root);
    await importAnnotations(other, {
      datasetId: otherId,
      format: 'csv',
      annotations: join(out, 'labels.csv'),
    });
    expect(labelsByImage(other, otherId)).toEqual(labelsByImage(store, datasetId));
  });
});

describe('app JSON import', () => {
  it('reads its own export back: same values, splits, boxes and landmarks; human values land as import', async () => {
    const { dir, store } = setup();
    const fx = await makeCeleba(dir, 4);
    const datasetId = await seedDataset(store, fx.root);
    await importAnnotations(store, { datasetId, format: 'celeba', annotations: fx.anno });
    const img = store.images.page({ datasetId, limit: 10 }).items[1]!;
    const face = store.faces.byImage(img.id)[0]!;
    store.write(() => store.labels.setHuman({ faceId: face.id, key: 'Smiling', value: '1', actor: 'test' }));
    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'json', out });

    const other = openStore(join(dir, 'other.sqlite'));
    cleanups.push(() => other.close());
    const otherId = await seedDataset(other, fx.root);
    const rep = await importAnnotations(other, { datasetId: otherId, format: 'json', annotations: out });
    expect(rep).toMatchObject({ faces: 4, labels: 160, skipped: 0 });
    const out2 = join(dir, 'out2');
    await exportDataset(other, { datasetId: otherId, format: 'json', out: out2 });

    const records = (file: string) =>
      (JSON.parse(readFileSync(file, 'utf8')) as { faces: Record<string, unknown>[] }).faces.map((f) => ({
        image: f.image,
        split: f.split,
        face: f.face,
        values: Object.fromEntries(
          Object.entries(f.values as Record<string, { value: string }>).map(([k, v]) => [k, v.value]),
        ),
        landmarks: f.landmarks,
        identity: f.identity,
      }));
    expect(records(join(out2, 'faces.json'))).toEqual(records(join(out, 'faces.json')));
    const again = JSON.parse(readFileSync(join(out2, 'faces.json'), 'utf8')).faces[1];
    expect(again.values.Smiling).toEqual({ value: '1', source: 'import' });
  });

  it('reads a pretty-printed file and reports a bad value with its field', async () => {
    const { dir, store } = setup();
    const root = await images(dir, ['a.jpg']);
    const datasetId = await seedDataset(store, root);
    const rec = (value: string) => ({
      image: 'a.jpg',
      split: 'train',
      face: { idx: 0, source: 'imported', box: [0, 0, 48, 48] },
      values: { gender: { value, source: 'human' }, age: { value: '30', source: 'prediction' } },
    });
    const file = join(dir, 'pretty.json');
    writeFileSync(
      file,
      JSON.stringify({ format: 'faceinsight-faces', version: 1, faces: [rec('Female')] }, null, 2),
    );
    const rep = await importAnnotations(store, { datasetId, format: 'json', annotations: file });
    // Predictions are not labels: only gender is imported.
    expect(rep).toMatchObject({ faces: 1, labels: 1 });
    writeFileSync(
      file,
      JSON.stringify({ format: 'faceinsight-faces', version: 1, faces: [rec('Robot')] }, null, 2),
    );
    const err = await refusal(importAnnotations(store, { datasetId, format: 'json', annotations: file }));
    expect(err.message).toMatch(
      /pretty\.json:0: field "gender": expected Male or Female, got "Robot" \(faces\[0\]\)/,
    );
    writeFileSync(file, '{"format": "faceinsight-faces",\n "faces": [}');
    const bad = await refusal(importAnnotations(store, { datasetId, format: 'json', annotations: file }));
    expect(bad.message).toMatch(/pretty\.json:(0|2:\d+): not JSON/);
  });
});
