// CelebA import / export: round trip of all five lists, human edits in the export, line-numbered refusals.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CELEBA_ATTRIBUTES } from '../../../src/shared/taxonomy';
import { AppError } from '../../../src/shared/errors';
import type { Store } from '../../../src/main/store/index';
import { importAnnotations } from '../../../src/main/datasets/formats/import';
import { exportDataset } from '../../../src/main/datasets/formats/export';
import { celebaRow, celebaValues, makeCeleba, seedDataset } from '../../helpers/datasets/generate';
import { tempStores } from '../../helpers/store';

const setup = tempStores('fi-celeba-');

const tokens = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).join(' '));

/** Everything a refused import must leave untouched. */
function snapshot(store: Store, datasetId: number) {
  const faces = store.annotations.exportRows({ datasetId, reviewedOnly: false, predictions: true });
  return JSON.stringify([...faces]);
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('CelebA', () => {
  it('round-trips attributes, partitions, boxes, landmarks and identities', async () => {
    const { dir, store } = setup();
    const fx = await makeCeleba(dir);
    const datasetId = await seedDataset(store, fx.root);
    const report = await importAnnotations(store, { datasetId, format: 'celeba', annotations: fx.anno });
    expect(report).toMatchObject({ faces: 6, created: 6, labels: 240, skipped: 0, warningCount: 0 });
    expect(report.files.map((f) => f.split('/').at(-1))).toEqual([
      'list_attr_celeba.txt',
      'list_eval_partition.txt',
      'list_bbox_celeba.txt',
      'list_landmarks_align_celeba.txt',
      'identity_CelebA.txt',
    ]);
    const img = store.images.page({ datasetId }).items[1]!;
    const face = store.faces.byImage(img.id)[0]!;
    expect(face).toMatchObject({ source: 'imported', x: 3, y: 4, w: 21, h: 26 });
    const labels = store.labels.forFace(face.id);
    expect(labels).toHaveLength(40);
    expect(labels.every((l) => l.source === 'import')).toBe(true);
    expect(labels.find((l) => l.key === 'Blond_Hair')?.value).toBe('1');
    expect(store.labels.events(face.id)).toHaveLength(0);

    const out = join(dir, 'out');
    const exp = await exportDataset(store, { datasetId, format: 'celeba', out });
    expect(exp.files).toEqual([
      'list_attr_celeba.txt',
      'list_eval_partition.txt',
      'list_bbox_celeba.txt',
      'list_landmarks_align_celeba.txt',
      'identity_CelebA.txt',
      'provenance.json',
    ]);
    // The attribute, partition and identity lists come back byte for byte; bbox and landmark columns are
    // written with single spaces (the release pads them irregularly), so those compare token by token.
    for (const [sub, f] of [
      ['Anno', 'list_attr_celeba.txt'],
      ['Eval', 'list_eval_partition.txt'],
      ['Anno', 'identity_CelebA.txt'],
    ] as const) {
      expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(fx.anno, sub, f), 'utf8'));
    }
    for (const f of ['list_bbox_celeba.txt', 'list_landmarks_align_celeba.txt'])
      expect(tokens(join(out, f)), f).toEqual(tokens(join(fx.anno, 'Anno', f)));
    const prov = JSON.parse(readFileSync(join(out, 'provenance.json'), 'utf8'));
    expect(prov).toMatchObject({
      format: 'celeba',
      counts: { faces: 6, valuesBySource: { import: 240, human: 0 } },
    });
  });

  it('accepts a BOM, CRLF line ends and a single attribute file, and re-import updates in place', async () => {
    const { dir, store } = setup();
    const fx = await makeCeleba(dir, 4, '\r\n');
    const attr = join(fx.anno, 'Anno', 'list_attr_celeba.txt');
    const single = join(dir, 'my-labels.txt');
    writeFileSync(single, '\ufeff' + readFileSync(attr, 'utf8'));
    const datasetId = await seedDataset(store, fx.root);
    const first = await importAnnotations(store, { datasetId, format: 'celeba', annotations: single });
    expect(first).toMatchObject({ faces: 4, created: 4, labels: 160 });
    const again = await importAnnotations(store, { datasetId, format: 'celeba', annotations: single });
    expect(again).toMatchObject({ faces: 4, created: 0, updated: 4 });
    const img = store.images.page({ datasetId }).items[0]!;
    // Without a bbox list the whole image is the face.
    expect(store.faces.byImage(img.id)).toMatchObject([{ x: 0, y: 0, w: 40, h: 40, source: 'imported' }]);
  });

  it('exports exactly the human edits, never overwriting them on re-import', async () => {
    const { dir, store } = setup();
    const fx = await makeCeleba(dir);
    const datasetId = await seedDataset(store, fx.root);
    await importAnnotations(store, { datasetId, format: 'celeba', annotations: fx.anno });
    const img = store.images.page({ datasetId }).items[2]!;
    const face = store.faces.byImage(img.id)[0]!;
    const before = celebaValues(2);
    const smilingIdx = CELEBA_ATTRIBUTES.indexOf('Smiling');
    const flipped = before[smilingIdx] === '1' ? '-1' : '1';
    store.write(() =>
      store.labels.setHuman({ faceId: face.id, key: 'Smiling', value: flipped, actor: 'test' }),
    );
    await importAnnotations(store, { datasetId, format: 'celeba', annotations: fx.anno });
    expect(
      store.labels.forFace(face.id).find((l) => l.key === 'Smiling' && l.source === 'human')?.value,
    ).toBe(flipped);

    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'celeba', out });
    const got = readFileSync(join(out, 'list_attr_celeba.txt'), 'utf8').split('\n');
    const want = readFileSync(join(fx.anno, 'Anno', 'list_attr_celeba.txt'), 'utf8').split('\n');
    const diff = got.map((l, i) => (l === want[i] ? null : i)).filter((i) => i !== null);
    expect(diff).toEqual([4]); // count, header, then the third image's row
    const edited = [...before];
    edited[smilingIdx] = flipped;
    expect(got[4]).toBe(celebaRow('000003.jpg', edited));
  });

  it('refuses to overwrite an existing file unless asked, and rejects names that leave the folder', async () => {
    const { dir, store } = setup();
    const fx = await makeCeleba(dir, 2);
    const datasetId = await seedDataset(store, fx.root);
    await importAnnotations(store, { datasetId, format: 'celeba', annotations: fx.anno });
    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'celeba', out });
    writeFileSync(join(out, 'list_attr_celeba.txt'), 'mine');
    const err = await refusal(exportDataset(store, { datasetId, format: 'celeba', out }));
    expect(err.code).toBe('conflict');
    expect(err.message).toMatch(/already exist/);
    expect(readFileSync(join(out, 'list_attr_celeba.txt'), 'utf8')).toBe('mine');
    await exportDataset(store, { datasetId, format: 'celeba', out, overwrite: true });
    expect(readFileSync(join(out, 'list_attr_celeba.txt'), 'utf8')).toMatch(/^2\n/);
    const { safeTarget } = await import('../../../src/main/datasets/formats/export');
    expect(() => safeTarget(out, '../escape.txt')).toThrow(/leaves the output folder/);
    expect(() => safeTarget(out, '/etc/passwd')).toThrow(/leaves the output folder/);
    expect(existsSync(join(dir, 'escape.txt'))).toBe(false);
  });

  it('lists rows naming images that are not in the folder as warnings and skips them', async () => {
    const { dir, store } = setup();
    const fx = await makeCeleba(dir, 3);
    const attr = join(fx.anno, 'Anno', 'list_attr_celeba.txt');
    const text =
      readFileSync(attr, 'utf8').replace(/^3\n/, '4\n') + celebaRow('999999.jpg', celebaValues(0)) + '\n';
    writeFileSync(attr, text);
    const datasetId = await seedDataset(store, fx.root);
    const report = await importAnnotations(store, { datasetId, format: 'celeba', annotations: attr });
    expect(report).toMatchObject({ faces: 3, skipped: 1, warningCount: 1 });
    expect(report.warnings[0]).toMatchObject({
      message: 'image "999999.jpg" is not in the folder; row skipped',
      where: { file: 'list_attr_celeba.txt', line: 6 },
    });
  });

  describe('refuses malformed files with file, line and column, writing nothing', () => {
    const header = CELEBA_ATTRIBUTES.join(' ');
    const row = (i: number) => celebaRow(`${String(i + 1).padStart(6, '0')}.jpg`, celebaValues(i));
    const cases: [string, string, RegExp, { line: number; column?: number; field?: string }][] = [
      ['empty file', '', /empty file/, { line: 1 }],
      [
        'header missing (no count)',
        `${header}\n${row(0)}\n`,
        /header missing: expected the image count/,
        { line: 1 },
      ],
      ['header missing (count only)', `1\n`, /header missing/, { line: 2 }],
      [
        'unknown attribute name',
        `1\n${header.replace('Smiling', 'Smilng')}\n${row(0)}\n`,
        /unknown attribute name \(did you mean "Smiling"\?\)/,
        { line: 2, field: 'Smilng' },
      ],
      [
        'wrong column count',
        `2\n${header}\n${row(0)}\n${row(1)} 1\n`,
        /wrong column count: expected 41 .* got 42/,
        { line: 4, column: 132 },
      ],
      [
        'value not ±1',
        `2\n${header}\n${row(0)}\n${row(1).replace(/^(000002\.jpg(?: +-?1){4}) +-?1/, '$1  0')}\n`,
        /expected 1 or -1, got "0"/,
        { line: 4, column: 25, field: 'Bald' },
      ],
      [
        'duplicate file names',
        `2\n${header}\n${row(0)}\n${row(0)}\n`,
        /duplicate file name "000001.jpg" \(first on line 3\)/,
        { line: 4, column: 1 },
      ],
      [
        'count disagrees',
        `3\n${header}\n${row(0)}\n${row(1)}\n`,
        /count line says 3 images, the file has 2 rows/,
        { line: 1 },
      ],
    ];
    for (const [name, text, message, where] of cases) {
      it(name, async () => {
        const { dir, store } = setup();
        const fx = await makeCeleba(dir, 2);
        const datasetId = await seedDataset(store, fx.root);
        const file = join(dir, 'list_attr_celeba.txt');
        writeFileSync(file, text);
        const before = snapshot(store, datasetId);
        const err = await refusal(
          importAnnotations(store, { datasetId, format: 'celeba', annotations: file }),
        );
        expect(err.code).toBe('parse_error');
        expect(err.message).toMatch(message);
        expect(err.where).toMatchObject({ file: 'list_attr_celeba.txt', ...where });
        expect(snapshot(store, datasetId)).toBe(before);
        expect(
          store.images.page({ datasetId }).items.every((i) => store.faces.byImage(i.id).length === 0),
        ).toBe(true);
      });
    }

    it('collects up to maxErrors problems, each with its line', async () => {
      const { dir, store } = setup();
      const fx = await makeCeleba(dir, 2);
      const datasetId = await seedDataset(store, fx.root);
      const bad = Array.from({ length: 10 }, (_, i) => row(i).replace(/ -1$| {2}1$/, ' 2'));
      const file = join(dir, 'list_attr_celeba.txt');
      writeFileSync(file, `10\n${header}\n${bad.join('\n')}\n`);
      const err = await refusal(
        importAnnotations(store, { datasetId, format: 'celeba', annotations: file, maxErrors: 3 }),
      );
      const lines = err.message.split('\n');
      expect(lines.slice(0, 3)).toEqual(
        [3, 4, 5].map((n) => `list_attr_celeba.txt:${n}:129: field "Young": expected 1 or -1, got "2"`),
      );
      expect(lines[3]).toBe('(stopped after 3 errors)');
    });
  });
});
