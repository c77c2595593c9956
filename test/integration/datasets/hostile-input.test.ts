// Hostile annotation input (issue #27, edges): huge and binary cells, bad mask PNGs, empty lists, boxes outside
// the image, `__proto__` keys and names that leave the images folder.
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, Job, JobReport } from '../../../src/shared/api';
import { AppError } from '../../../src/shared/errors';
import { importAnnotations } from '../../../src/main/datasets/formats/import';
import { MAX_QUOTE } from '../../../src/main/datasets/formats/text';
import {
  celebaRow,
  celebaValues,
  makeCeleba,
  makeCelebaMaskHq,
  makeExpw,
  makeFairFace,
  makeRafdb,
  seedDataset,
} from '../../helpers/datasets/generate';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { tempDir } from '../../helpers/fs';
import { tempStores } from '../../helpers/store';
import { CELEBA_ATTRIBUTES } from '../../../src/shared/taxonomy';

const setup = tempStores('fi-hostile-');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

/** A CelebA attribute list whose second row has one huge cell made of text and terminal escapes. */
function hugeCellList(names: readonly string[], cell: string): string {
  const rows = names.map((n, i) => celebaRow(n, celebaValues(i)));
  rows[1] = `${names[1]} ${cell} ${celebaValues(1).slice(1).join(' ')}`;
  return [String(names.length), CELEBA_ATTRIBUTES.join(' '), ...rows].join('\n') + '\n';
}

describe('error messages built from input', () => {
  it('quote at most MAX_QUOTE characters of a 500 kB cell, escape control bytes, and store it once, small', async () => {
    const t = tempDir('fi-hostile-job-');
    cleanups.push(t.cleanup);
    const host = await startTestApp(join(t.dir, 'data'));
    cleanups.push(() => host.close());
    const fx = await makeCeleba(t.dir, 3);
    const { dataset, job } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
      root: fx.root,
    });
    await waitForJob(host, job.id);
    // Under the reader's line-length limit, far over what a message may quote.
    const cell = '\u001b[2J\u001b]0;pwned\u0007' + 'x'.repeat(500_000) + '\u009b\u202eEND';
    const bad = join(t.dir, 'list_attr_celeba.txt');
    writeFileSync(bad, hugeCellList(['000001.jpg', '000002.jpg', '000003.jpg'], cell));
    const ann = await call<Job>(host, 'datasets.importAnnotations', {
      datasetId: dataset.id,
      format: 'celeba',
      annotations: bad,
    });
    const failed = await waitForJob(host, ann.id);
    expect(failed.state).toBe('failed');
    const { report } = await call<{ report: JobReport }>(host, 'jobs.report', { id: ann.id });
    const e = report.errors[0]!;
    expect(e.where).toMatchObject({ file: 'list_attr_celeba.txt', line: 4 });
    expect(e.message).toMatch(
      /^expected 1 or -1, got "\\x1b\[2J\\x1b\]0;pwned\\x07x+…\[\d+ more characters\]…x+\\x9b\\u202eEND"$/,
    );
    expect(e.message.length).toBeLessThan(MAX_QUOTE * 3);
    for (const text of [e.message, failed.error ?? '']) {
      // eslint-disable-next-line no-control-regex -- no raw control byte may reach a terminal
      expect(text).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
    const db = new Database(host.info.dbPath, { readonly: true });
    const stored = db
      .prepare(`SELECT length(coalesce(error, '')) + length(summary) + length(params) FROM jobs WHERE id = ?`)
      .pluck()
      .get(ann.id) as number;
    const items = db
      .prepare('SELECT coalesce(sum(length(error)), 0) FROM job_items WHERE job_id = ?')
      .pluck()
      .get(ann.id) as number;
    db.close();
    expect(stored + items).toBeLessThan(20_000);
  });

  it('cuts a huge header cell used as a field name', async () => {
    const { dir, store } = setup();
    const fx = await makeCeleba(dir, 2);
    const datasetId = await seedDataset(store, fx.root);
    const bad = join(dir, 'list_attr_celeba.txt');
    const header = ['Y'.repeat(500_000), ...CELEBA_ATTRIBUTES.slice(1)].join(' ');
    writeFileSync(bad, ['1', header, celebaRow('000001.jpg', celebaValues(0))].join('\n') + '\n');
    const err = await refusal(importAnnotations(store, { datasetId, format: 'celeba', annotations: bad }));
    expect(err.message.length).toBeLessThan(4_000);
    expect(err.message).toContain('more characters]');
  });
});

describe('CelebAMask-HQ masks', () => {
  for (const [what, bytes] of [
    ['empty', Buffer.alloc(0)],
    ['garbage', Buffer.from('GIF89a not a png at all \u0000\u0001')],
  ] as const) {
    it(`refuses an ${what} class mask as parse_error naming the file`, async () => {
      const { dir, store } = setup();
      const fx = await makeCelebaMaskHq(dir, 2);
      writeFileSync(join(fx.base, 'CelebAMask-HQ-mask-anno', '0', '00000_skin.png'), bytes);
      const datasetId = await seedDataset(store, fx.root);
      const err = await refusal(
        importAnnotations(store, { datasetId, format: 'celebamask-hq', annotations: fx.base }),
      );
      expect(err.code).toBe('parse_error');
      expect(err.where?.file).toBe('00000_skin.png');
      expect(err.message).toContain('0/00000_skin.png: not a readable PNG mask');
      expect(store.faces.byImage(store.images.page({ datasetId }).items[0]!.id)).toHaveLength(0);
    });
  }
});

describe('files without rows and odd rows', () => {
  it('refuses a RAF-DB list of only blank lines and a FairFace CSV with only its header', async () => {
    const { dir, store } = setup();
    const raf = await makeRafdb(dir);
    const rafId = await seedDataset(store, raf.root);
    writeFileSync(raf.list, '\n  \n\t\n');
    const e1 = await refusal(
      importAnnotations(store, { datasetId: rafId, format: 'rafdb', annotations: raf.list }),
    );
    expect(e1.message).toBe('list_patition_label.txt:1:1: no rows: 3 blank line(s)');

    const ff = await makeFairFace(join(dir, 'ff'));
    const ffId = await seedDataset(store, ff.root);
    writeFileSync(ff.train, 'file,age,gender,race,service_test\n\n');
    const e2 = await refusal(
      importAnnotations(store, { datasetId: ffId, format: 'fairface', annotations: ff.train }),
    );
    expect(e2.message).toBe('fairface_label_train.csv:2:1: no rows after the header');
  });

  it('warns with file:line about an ExpW box outside its image and keeps the face on the whole image', async () => {
    const { dir, store } = setup();
    const fx = await makeExpw(dir);
    const datasetId = await seedDataset(store, fx.root);
    writeFileSync(fx.list, 'afraid_African_214.jpg 0 100000 100000 200000 200000 62.1803 2\n');
    const r = await importAnnotations(store, { datasetId, format: 'expw', annotations: fx.list });
    expect(r).toMatchObject({ faces: 1, warningCount: 1 });
    expect(r.warnings[0]).toMatchObject({
      where: { file: 'label.lst', line: 1, field: 'box' },
      message: expect.stringMatching(/^box 100000,100000 100000x100000 lies outside the 64x64 image/),
    });
    const img = store.images.page({ datasetId }).items.find((i) => i.relPath === 'afraid_African_214.jpg')!;
    expect(store.faces.byImage(img.id)[0]).toMatchObject({ x: 0, y: 0, w: 64, h: 64 });
  });

  it('refuses a JSON face whose values hold a __proto__ key, naming it, without touching Object.prototype', async () => {
    const { dir, store } = setup();
    const fx = await makeCeleba(dir, 1);
    const datasetId = await seedDataset(store, fx.root);
    const file = join(dir, 'faces.json');
    const face = (values: string) =>
      `{"image":"000001.jpg","face":{"idx":0,"source":"imported","box":[0,0,40,40]},"values":${values}}`;
    writeFileSync(
      file,
      [
        '{"format":"faceinsight-faces","version":1,"faces":[',
        face('{"__proto__":{"value":"1","source":"human"},"Bald":{"value":"1","source":"human"}}'),
        ']}',
      ].join('\n') + '\n',
    );
    const err = await refusal(importAnnotations(store, { datasetId, format: 'json', annotations: file }));
    expect(err.message).toBe('faces.json:2: field "__proto__": unknown label key');
    expect(Object.prototype).not.toHaveProperty('value');
  });

  it('skips with a warning a CelebA row whose name leaves the images folder', async () => {
    const { dir, store } = setup();
    const fx = await makeCeleba(dir, 2);
    const datasetId = await seedDataset(store, fx.root);
    const file = join(dir, 'list_attr_celeba.txt');
    writeFileSync(
      file,
      ['1', CELEBA_ATTRIBUTES.join(' '), celebaRow('../../../tmp/000002.jpg', celebaValues(0))].join('\n') +
        '\n',
    );
    const r = await importAnnotations(store, { datasetId, format: 'celeba', annotations: file });
    expect(r).toMatchObject({ faces: 0, skipped: 1, warningCount: 1 });
    expect(r.warnings[0]!.message).toBe(
      'image "../../../tmp/000002.jpg" is outside the images folder (absolute or ..); row skipped',
    );
  });
});
