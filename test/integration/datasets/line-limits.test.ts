// Annotation readers stream with a line limit (issue #27, severe 1): an over-long line is refused at file:line
// like any bad row, while a minified faces.json on one long line is still read whole.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../src/shared/errors';
import { openStore } from '../../../src/main/store/index';
import { importAnnotations } from '../../../src/main/datasets/formats/import';
import { MAX_FIELD_CHARS, MAX_LINE_CHARS } from '../../../src/main/datasets/formats/text';
import { makeExpw, makeFairFace, seedDataset, writeImage } from '../../helpers/datasets/generate';
import { tempDir } from '../../helpers/fs';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup() {
  const t = tempDir('fi-lines-');
  const store = openStore(join(t.dir, 'db.sqlite'));
  cleanups.push(t.cleanup, () => store.close());
  return { dir: t.dir, store };
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('annotation line limit', () => {
  it('refuses an ExpW line over MAX_LINE_CHARS at file:line, with the other bad rows', async () => {
    const { dir, store } = setup();
    const fx = await makeExpw(dir);
    const datasetId = await seedDataset(store, fx.root);
    // Line 5: 4 MB of "0 " after a name (the reported crash was 240 MB of these); line 6: an ordinary bad row.
    appendFileSync(
      fx.list,
      `happy_boy_12.jpg ${'0 '.repeat(2_000_000)}\nhappy_boy_12.jpg 1 1 2 x 41 80.9 3\n`,
    );
    const err = await refusal(importAnnotations(store, { datasetId, format: 'expw', annotations: fx.list }));
    expect(err.code).toBe('parse_error');
    expect(err.where).toMatchObject({ file: 'label.lst', line: 5 });
    expect(err.message).toContain(
      `label.lst:5:1: line too long: 4000017 characters; the limit is ${MAX_LINE_CHARS}`,
    );
    expect(err.message).toMatch(/label\.lst:6:/);
    expect(err.message.length).toBeLessThan(2000);
  });

  it('reads a minified faces.json on one line longer than the limit whole; an over-long record line is refused', async () => {
    const { dir, store } = setup();
    const root = join(dir, 'imgs');
    await writeImage(join(root, 'a.jpg'), 0);
    const datasetId = await seedDataset(store, root);
    const face = {
      image: 'a.jpg',
      face: { idx: 0, source: 'imported', box: [0, 0, 48, 48] },
      values: { gender: { value: 'Female', source: 'human' } },
      // Padding that makes the single line longer than the line limit.
      notes: 'n'.repeat(MAX_LINE_CHARS + 10),
    };
    const file = join(dir, 'faces.json');
    writeFileSync(file, JSON.stringify({ format: 'faceinsight-faces', version: 1, faces: [face] }));
    const rep = await importAnnotations(store, { datasetId, format: 'json', annotations: file });
    expect(rep).toMatchObject({ faces: 1, labels: 1 });

    // The export's own layout streams line by line: there, a record line over the limit is a bad line.
    writeFileSync(
      file,
      ['{"format":"faceinsight-faces","version":1,"faces":[', `${JSON.stringify(face)}`, ']}'].join('\n'),
    );
    const err = await refusal(importAnnotations(store, { datasetId, format: 'json', annotations: file }));
    expect(err.where).toMatchObject({ file: 'faces.json', line: 2 });
    expect(err.message).toMatch(/faces\.json:2:1: line too long/);
  });

  it('refuses a field over MAX_FIELD_CHARS at file:line:column (a FairFace extra cell is stored verbatim)', async () => {
    const { dir, store } = setup();
    const fx = await makeFairFace(dir);
    const datasetId = await seedDataset(store, fx.root);
    const big = 'T'.repeat(MAX_FIELD_CHARS + 1);
    appendFileSync(fx.train, `train/3.jpg,3-9,Male,Middle Eastern,${big}\n`);
    const err = await refusal(
      importAnnotations(store, { datasetId, format: 'fairface', annotations: fx.train }),
    );
    expect(err.where).toMatchObject({ file: 'fairface_label_train.csv', line: 6, column: 37 });
    expect(err.message).toContain(
      `fairface_label_train.csv:6:37: field too long: ${MAX_FIELD_CHARS + 1} characters; the limit is ${MAX_FIELD_CHARS}`,
    );
    // At the limit it is a cell like any other.
    const ok = join(dir, 'ok.csv');
    writeFileSync(
      ok,
      `file,age,gender,race,service_test\ntrain/1.jpg,50-59,Male,East Asian,${big.slice(1)}\n`,
    );
    await expect(
      importAnnotations(store, { datasetId, format: 'fairface', annotations: ok }),
    ).resolves.toMatchObject({ faces: 1 });
  });
});
