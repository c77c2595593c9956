// Annotation import and export as jobs in the job process, through the service and the `faceinsight` CLI.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Dataset, FaceDetail, Job, JobReport } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { openStore } from '../../../src/main/store/index';
import {
  celebaRow,
  celebaValues,
  makeCeleba,
  makeCelebaMaskHq,
  writeImage,
} from '../../helpers/datasets/generate';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { ROOT, tempDir } from '../../helpers/fs';
import { BACKENDS, freshTarget, rawDb, skipBackend, type Backend } from '../../helpers/backends';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The app on a temp data dir and the backend's database (a file in it, or a fresh PostgreSQL database). */
async function setup(backend: Backend = 'sqlite'): Promise<{ dir: string; host: AppHost; db: string }> {
  const t = tempDir('fi-annjobs-');
  cleanups.push(t.cleanup);
  const db =
    backend === 'sqlite'
      ? join(t.dir, 'data', 'faceinsight.db')
      : (await freshTarget(backend, 'annjobs')).target;
  const host = await startTestApp(join(t.dir, 'data'), db);
  cleanups.push(() => host.close());
  return { dir: t.dir, host, db };
}

/** Rows per table, through the backend's own connection. */
function counter(target: string): (table: string) => unknown {
  const db = rawDb(target);
  cleanups.push(() => void db.close());
  return (t) => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get();
}

function cli(args: string[]) {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const r = spawnSync(process.execPath, ['--import', tsx, join(ROOT, 'src', 'main', 'cli.ts'), ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each(BACKENDS)('annotation jobs on %s', (backend) => {
  it.skipIf(skipBackend(backend))(
    'finds the release beside a dataset (datasets.releases) and imports from what it answers',
    async () => {
      const { dir, host } = await setup(backend);
      const fx = await makeCeleba(dir, 3);
      // The release's layout: Anno/ beside img_align_celeba/.
      renameSync(join(fx.anno, 'Anno'), join(dir, 'Anno'));
      const { dataset, job } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
        root: fx.root,
      });
      expect((await waitForJob(host, job.id)).state).toBe('done');
      const { items } = await call<{ items: { format: string; source: string; file: string }[] }>(
        host,
        'datasets.releases',
        { datasetId: dataset.id },
      );
      expect(items).toEqual([
        { format: 'celeba', source: dir, file: join(dir, 'Anno', 'list_attr_celeba.txt') },
      ]);
      const ann = await call<Job>(host, 'datasets.importAnnotations', {
        datasetId: dataset.id,
        format: items[0]!.format,
        annotations: items[0]!.source,
      });
      expect(await waitForJob(host, ann.id)).toMatchObject({ state: 'done', summary: { faces: 3 } });
      await expect(call(host, 'datasets.releases', { datasetId: 999 })).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(call(host, 'datasets.releases', { datasetId: 'x' })).rejects.toMatchObject({
        code: 'invalid_request',
        where: { field: 'datasetId' },
      });
    },
  );

  it.skipIf(skipBackend(backend))(
    'imports, re-checks rules, and exports a human edit through the service',
    async () => {
      const { dir, host, db } = await setup(backend);
      const fx = await makeCeleba(dir, 4);
      const { dataset, job } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
        root: fx.root,
      });
      expect((await waitForJob(host, job.id)).state).toBe('done');

      const ann = await call<Job>(host, 'datasets.importAnnotations', {
        datasetId: dataset.id,
        format: 'celeba',
        annotations: fx.anno,
      });
      const done = await waitForJob(host, ann.id);
      expect(done).toMatchObject({
        kind: 'annotations',
        state: 'done',
        summary: { faces: 4, labels: 160, created: 4 },
      });
      const { report } = await call<{ report: JobReport }>(host, 'jobs.report', { id: ann.id });
      expect(report).toMatchObject({ errors: [], warningCount: 0, counts: { faces: 4 } });
      expect(report.files).toHaveLength(5);

      const store = openStore(db);
      const img = store.images.page({ datasetId: dataset.id }).items[0]!;
      const face = store.faces.byImage(img.id)[0]!;
      store.close();
      // A review edit through the service, undone and redone (label_events steps on either backend).
      await call(host, 'labels.set', { faceId: face.id, key: 'Eyeglasses', value: 1 });
      await call(host, 'labels.undo', { faceId: face.id });
      const redone = await call<FaceDetail>(host, 'labels.redo', { faceId: face.id });
      expect(redone.labels.find((l) => l.key === 'Eyeglasses')?.human).toBe('1');

      const out = join(dir, 'export');
      const exp = await call<Job>(host, 'exports.start', { datasetId: dataset.id, format: 'celeba', out });
      expect((await waitForJob(host, exp.id)).state).toBe('done');
      const values = celebaValues(0);
      values[15] = '1'; // Eyeglasses
      const rows = readFileSync(join(out, 'list_attr_celeba.txt'), 'utf8').split('\n');
      expect(rows[2]).toBe(celebaRow('000001.jpg', values));
      expect(rows[3]).toBe(celebaRow('000002.jpg', celebaValues(1)));
      const again = await call<Job>(host, 'exports.start', { datasetId: dataset.id, format: 'celeba', out });
      const refused = await waitForJob(host, again.id);
      expect(refused.state).toBe('failed');
      expect(refused.error).toMatch(/already exist/);
    },
  );

  it.skipIf(skipBackend(backend))(
    'a refused import fails its job with line-numbered errors and writes nothing else',
    async () => {
      const { dir, host, db } = await setup(backend);
      const fx = await makeCeleba(dir, 3);
      const { dataset, job } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
        root: fx.root,
      });
      await waitForJob(host, job.id);
      const attr = join(fx.anno, 'Anno', 'list_attr_celeba.txt');
      writeFileSync(attr, readFileSync(attr, 'utf8').replace(/^(000002\.jpg(?: +-?1){2}) +-?1/m, '$1 yes'));
      const count = counter(db);
      const before = ['faces', 'labels', 'predictions', 'violations'].map(count);

      const ann = await call<Job>(host, 'datasets.importAnnotations', {
        datasetId: dataset.id,
        format: 'celeba',
        annotations: fx.anno,
      });
      const failed = await waitForJob(host, ann.id);
      expect(failed.state).toBe('failed');
      expect(failed.error).toBe('list_attr_celeba.txt:4:18: field "Attractive": expected 1 or -1, got "yes"');
      const { report } = await call<{ report: JobReport }>(host, 'jobs.report', { id: ann.id });
      expect(report.errors[0]).toMatchObject({
        where: { file: 'list_attr_celeba.txt', line: 4, column: 18, field: 'Attractive' },
      });
      expect(['faces', 'labels', 'predictions', 'violations'].map(count)).toEqual(before);
    },
  );

  it.skipIf(skipBackend(backend))(
    'stores the violations of imported labels (the rule pass runs after the import commits), and a refused import changes none',
    async () => {
      const t = tempDir('fi-annrules-');
      cleanups.push(t.cleanup);
      const img = join(t.dir, 'img');
      await writeImage(join(img, 'p1.jpg'), 0);
      await writeImage(join(img, 'p2.jpg'), 1);
      const labels = join(t.dir, 'labels.csv');
      writeFileSync(labels, 'file,Bald,Bangs,Goatee,No_Beard\np1.jpg,1,1,1,1\np2.jpg,1,1,1,1\n');
      // The CLI, its job process and `check` all open the database from --db (a file or a URL).
      const db =
        backend === 'sqlite' ? join(t.dir, 'fi.db') : (await freshTarget(backend, 'annrules')).target;
      const imported = cli([
        'import',
        img,
        '--format',
        'csv',
        '--annotations',
        labels,
        '--db',
        db,
        '--data-dir',
        join(t.dir, 'data'),
      ]);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      // bald-no-bangs and goatee-has-beard on both faces: the stored rows match what `check` computes.
      const check = cli(['check', '--db', db, '--json', '--data-dir', join(t.dir, 'data')]);
      expect(check.code).toBe(1);
      expect(JSON.parse(check.stdout.trim().split('\n').at(-1)!)).toMatchObject({ errors: 4 });
      const stored = () => {
        const d = rawDb(db);
        try {
          return d
            .prepare(
              `SELECT f.id AS face, r.key AS rule, v.subject FROM violations v JOIN rules r ON r.id = v.rule_id
             JOIN faces f ON f.id = v.face_id ORDER BY f.id, r.key, v.subject`,
            )
            .all();
        } finally {
          d.close();
        }
      };
      const after = stored();
      expect(after.filter((v) => (v as { subject: string }).subject === 'labels')).toHaveLength(4);

      // A refused import (bad cell on line 3) fails and leaves every stored violation as it was.
      writeFileSync(labels, 'file,Bald,Bangs,Goatee,No_Beard\np1.jpg,-1,-1,-1,1\np2.jpg,1,maybe,1,1\n');
      const refused = cli([
        'import',
        img,
        '--format',
        'csv',
        '--annotations',
        labels,
        '--db',
        db,
        '--data-dir',
        join(t.dir, 'data'),
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/labels\.csv:3/);
      expect(stored()).toEqual(after);
    },
  );
});

describe('annotation jobs', () => {
  it('the CLI imports with --format/--annotations, exports, and exits 1 on a refused file, 2 on bad usage', async () => {
    const t = tempDir('fi-anncli-');
    cleanups.push(t.cleanup);
    const fx = await makeCeleba(t.dir, 3);
    const common = ['--data-dir', join(t.dir, 'data')];
    const ok = cli(['import', fx.root, '--format', 'celeba', '--annotations', fx.anno, ...common]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/annotations done; faces 3, created 3, labels 120/);

    const out = join(t.dir, 'out');
    const exp = cli(['export', '--format', 'celeba', '--out', out, ...common]);
    expect(exp.code).toBe(0);
    expect(readFileSync(join(out, 'list_attr_celeba.txt'), 'utf8')).toBe(
      readFileSync(join(fx.anno, 'Anno', 'list_attr_celeba.txt'), 'utf8'),
    );
    expect(cli(['export', '--format', 'celeba', '--out', out, ...common])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/already exist/),
    });

    const bad = join(t.dir, 'bad.txt');
    writeFileSync(bad, '1\nSmiling\n000001.jpg 0\n');
    const refused = cli(['import', fx.root, '--format', 'celeba', '--annotations', bad, ...common]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: bad.txt:3:12: field "Smiling": expected 1 or -1, got "0"/);

    expect(cli(['import', fx.root, '--format', 'pascal', '--annotations', bad, ...common]).code).toBe(2);
    expect(
      cli(['import', fx.root, '--format', 'celeba', '--annotations', join(t.dir, 'nope'), ...common]).code,
    ).toBe(2);
    expect(cli(['export', '--format', 'celeba', ...common]).code).toBe(2);
  });

  it('the CLI imports CelebAMask-HQ masks and exports masks and seeded instructions; --map misuse exits 2', async () => {
    const t = tempDir('fi-anncli-');
    cleanups.push(t.cleanup);
    const fx = await makeCelebaMaskHq(t.dir, 2);
    const common = ['--data-dir', join(t.dir, 'data')];
    const ok = cli(['import', fx.root, '--format', 'celebamask-hq', '--annotations', fx.base, ...common]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/annotations done; faces 2, created 2, labels 80, masks 2/);

    const masks = join(t.dir, 'masks');
    expect(cli(['export', '--format', 'masks', '--out', masks, ...common]).code).toBe(0);
    expect(JSON.parse(readFileSync(join(masks, 'masks.json'), 'utf8')).faces).toHaveLength(2);

    const instr = cli([
      'export',
      '--format',
      'instructions',
      '--seed',
      '3',
      '--out',
      join(t.dir, 'i'),
      '--json',
      ...common,
    ]);
    expect(instr.code).toBe(0);
    // Nothing reviewed, no human labels: no verified value to write.
    expect(JSON.parse(instr.stdout).summary).toMatchObject({ records: 0, unverified: 2 });

    expect(
      cli(['import', fx.root, '--format', 'celeba', '--annotations', fx.base, '--map', 'a=b', ...common])
        .code,
    ).toBe(2);
    expect(
      cli(['import', fx.root, '--format', 'csv', '--annotations', fx.base, '--map', 'Smiling', ...common])
        .code,
    ).toBe(2);
    expect(
      cli(['export', '--format', 'instructions', '--seed', '-1', '--out', join(t.dir, 'j'), ...common]).code,
    ).toBe(2);
  });

  it('import --format celeba without --annotations finds the release files beside the images folder', async () => {
    const t = tempDir('fi-release-');
    cleanups.push(t.cleanup);
    const fx = await makeCeleba(t.dir, 3);
    // The release layout: img_align_celeba/ next to Anno/ and Eval/.
    renameSync(join(fx.anno, 'Anno'), join(t.dir, 'Anno'));
    renameSync(join(fx.anno, 'Eval'), join(t.dir, 'Eval'));
    const db = ['--db', join(t.dir, 'fi.db')];
    const ok = cli(['import', fx.root, '--format', 'celeba', ...db]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/annotations done; faces 3, created 3, labels 120/);

    const missing = cli(['import', fx.root, '--format', 'rafdb', ...db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /--format rafdb needs --annotations \(no list_patition_label\.txt in .*img_align_celeba or its parent folder\)/,
    );
  });
});
