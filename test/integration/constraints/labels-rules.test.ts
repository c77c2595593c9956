// Label edits re-check the face in the same transaction; the rule set lives in the DB and re-evaluates as a job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type {
  Cooccurrence,
  Dataset,
  FaceDetail,
  FaceSummary,
  Job,
  Page,
  RulesState,
  RuleCount,
} from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { openStore } from '../../../src/main/store/index';
import { ROOT, copySamples, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { seedWholeImageFaces } from '../../helpers/faces';

let host: AppHost;
let dir: string;
let cleanup: () => void;
let dataset: Dataset;
let faces: number[];

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  copySamples(join(dir, 'photos'));
  host = await startTestApp(join(dir, 'data'));
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
    root: join(dir, 'photos'),
  });
  await waitForJob(host, created.job.id);
  dataset = created.dataset;
  faces = seedWholeImageFaces(host.info.dbPath, dataset.id);
});
afterAll(async () => {
  await host.close();
  cleanup();
});

const setLabel = (faceId: number, key: string, value: string | number | null) =>
  call<FaceDetail>(host, 'labels.set', { faceId, key, value });

describe('labels and violations', () => {
  it('seeds the default rules into a new database', async () => {
    const rules = await call<RulesState>(host, 'rules.get');
    expect(rules.rules.length).toBeGreaterThanOrEqual(12);
    expect(rules.rules.map((r) => r.key)).toContain('bald-no-bangs');
    expect(rules.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('finds a violation as soon as an edit creates it, with a fix that removes it', async () => {
    const face = faces[0]!;
    await setLabel(face, 'Bangs', 1);
    const detail = await setLabel(face, 'Bald', 1);
    const v = detail.violations.find((x) => x.ruleKey === 'bald-no-bangs');
    expect(v).toMatchObject({ severity: 'error', subject: 'labels' });
    expect(v?.explanation).toMatch(/Bangs/);
    expect(v?.fixes.map((f) => f.changes)).toContainEqual([{ key: 'Bangs', from: 1, to: -1 }]);
    // Apply the first one-change fix through the same API a click would use.
    const fix = v!.fixes.find((f) => f.changes.length === 1)!;
    const after = await setLabel(face, fix.changes[0]!.key, fix.changes[0]!.to);
    expect(after.violations.find((x) => x.ruleKey === 'bald-no-bangs')).toBeUndefined();
    expect(after.history.map((h) => [h.key, h.old, h.new]).slice(0, 3)).toEqual([
      [fix.changes[0]!.key, '1', String(fix.changes[0]!.to)],
      ['Bald', null, '1'],
      ['Bangs', null, '1'],
    ]);
  });

  it('keeps the imported label beside the human one and clears back to it', async () => {
    const face = faces[1]!;
    const store = openStore(host.info.dbPath);
    store.write(() => store.labels.setImported(face, 'Smiling', '-1'));
    store.close();
    let d = await setLabel(face, 'Smiling', 1);
    expect(d.labels.find((l) => l.key === 'Smiling')).toEqual({
      key: 'Smiling',
      human: '1',
      imported: '-1',
      effective: '1',
    });
    d = await setLabel(face, 'Smiling', null);
    expect(d.labels.find((l) => l.key === 'Smiling')).toEqual({
      key: 'Smiling',
      human: null,
      imported: '-1',
      effective: '-1',
    });
  });

  it('rejects unknown keys and out-of-vocabulary values, changing nothing', async () => {
    const face = faces[2]!;
    for (const [key, value, field] of [
      ['Balding', 1, 'key'],
      ['Bald', 0, 'value'],
      ['gender', 'male', 'value'],
      ['age', 300, 'value'],
    ] as const) {
      const env = await host.call('labels.set', { faceId: face, key, value });
      expect(env.ok).toBe(false);
      expect(!env.ok && env.error).toMatchObject({ code: 'invalid_request', where: { field } });
    }
    expect((await call<FaceDetail>(host, 'faces.get', { id: face })).history).toHaveLength(0);
    const missing = await host.call('labels.set', { faceId: 999999, key: 'Bald', value: 1 });
    expect(!missing.ok && missing.error.code).toBe('not_found');
  });

  it('checks gender against Male and age against Young across fields', async () => {
    const face = faces[3]!;
    await setLabel(face, 'Male', 1);
    await setLabel(face, 'gender', 'Female');
    await setLabel(face, 'age', 63);
    const d = await setLabel(face, 'Young', 1);
    const keys = d.violations.map((v) => v.ruleKey);
    expect(keys).toEqual(expect.arrayContaining(['male-gender', 'young-not-over-50']));
    const list = await call<Page<FaceSummary>>(host, 'faces.list', {
      datasetId: dataset.id,
      hasViolations: true,
    });
    expect(list.items.map((f) => f.id)).toEqual(expect.arrayContaining([face]));
    expect(list.items.find((f) => f.id === face)?.errors).toBeGreaterThanOrEqual(2);
    const counts = await call<{ items: RuleCount[] }>(host, 'violations.counts', { datasetId: dataset.id });
    expect(counts.items.find((c) => c.ruleKey === 'male-gender')).toMatchObject({
      faces: 1,
      subject: 'labels',
    });
    const byRule = await call<Page<{ faceId: number }>>(host, 'violations.list', {
      datasetId: dataset.id,
      ruleKey: 'male-gender',
    });
    expect(byRule.items.map((v) => v.faceId)).toEqual([face]);
  });

  it('reads rule areas from the best mask: a model mask with no glasses pixels flags Eyeglasses', async () => {
    const face = faces[4]!;
    const store = openStore(host.info.dbPath);
    store.write(() =>
      store.faces.replaceModelOutputs(face, {
        predictions: [],
        embeddings: [],
        mask: {
          source: 'model',
          png: Buffer.from([0]),
          box: { x: 0, y: 0, w: 1, h: 1 },
          areas: {
            classes: ['background', 'skin', 'eye_g', 'hair'],
            fraction: { skin: 0.5, hair: 0.2, eye_g: 0 },
          },
        },
      }),
    );
    store.close();
    const d = await setLabel(face, 'Eyeglasses', 1);
    const v = d.violations.find((x) => x.ruleKey.includes('glasses'));
    expect(v?.subject).toBe('cross');
    expect(v?.values.map((x) => x.key)).toEqual(expect.arrayContaining(['Eyeglasses', 'area(eye_g)']));
  });
});

describe('rule set', () => {
  it('rules.check reports parse errors with line and column and counts flagged faces', async () => {
    const { text } = await call<RulesState>(host, 'rules.get');
    const bad = `${text}broken: error: Bald -> !Bnags\n`;
    const res = await call<{
      errors: { message: string; where?: { line?: number; column?: number } }[];
      rules: { key: string; flagged: number | null }[];
    }>(host, 'rules.check', { text: bad, datasetId: dataset.id });
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0]?.message).toMatch(/did you mean "Bangs"/);
    expect(res.errors[0]?.where).toMatchObject({ line: text.split('\n').length, column: 25 });
    expect(res.rules.find((r) => r.key === 'male-gender')?.flagged).toBe(1);
  });

  it('rules.set refuses a file with an error and keeps the old set', async () => {
    const before = await call<RulesState>(host, 'rules.get');
    const env = await host.call('rules.set', { text: 'x: error: Bald ->\n' });
    expect(!env.ok && env.error).toMatchObject({ code: 'parse_error', where: { line: 1 } });
    expect(await call<RulesState>(host, 'rules.get')).toEqual(before);
  });

  it('rules.set refuses a rule nested past the limit at line:column, and a stored one from before is left out', async () => {
    const before = await call<RulesState>(host, 'rules.get');
    for (const rule of [
      `r1: error: ${'!'.repeat(6000)}Bald`,
      `r1: error: Bald${' & Bangs'.repeat(20_000)}`,
    ]) {
      const env = await host.call('rules.set', { text: `${before.text}${rule}\n` });
      expect(!env.ok && env.error).toMatchObject({
        code: 'parse_error',
        where: { line: before.text.split('\n').length, column: expect.any(Number) },
      });
    }
    expect(await call<RulesState>(host, 'rules.get')).toEqual(before);

    // A database written by an older version may hold such a rule: evaluation and re-checks go on without it.
    const db = new Database(host.info.dbPath);
    db.prepare(`INSERT INTO rules (key, severity, text, enabled) VALUES ('deep', 'error', ?, 1)`).run(
      `${'!'.repeat(6000)}Bald`,
    );
    db.close();
    try {
      const env = await host.call('labels.set', { faceId: faces[0], key: 'Bald', value: 1 });
      expect(env.ok).toBe(true);
      const res = await call<{ rules: RulesState; jobs: Job[] }>(host, 'rules.set', { text: before.text });
      expect((await waitForJob(host, res.jobs[0]!.id)).state).toBe('done');
    } finally {
      await call(host, 'labels.set', { faceId: faces[0], key: 'Bald', value: null });
    }
  });

  it('rules.set disables a rule and re-evaluates every face as a job', async () => {
    const before = await call<RulesState>(host, 'rules.get');
    const text = before.text.replace(/^male-gender:/m, '#off male-gender:');
    const res = await call<{ rules: RulesState; jobs: Job[] }>(host, 'rules.set', { text });
    expect(res.rules.rules.find((r) => r.key === 'male-gender')?.enabled).toBe(false);
    expect(res.rules.hash).not.toBe(before.hash);
    expect(res.jobs.map((j) => j.kind)).toEqual(['reevaluate-rules']);
    const job = await waitForJob(host, res.jobs[0]!.id);
    expect(job).toMatchObject({ state: 'done', summary: { faces: 6 } });
    const counts = await call<{ items: RuleCount[] }>(host, 'violations.counts', { datasetId: dataset.id });
    expect(counts.items.find((c) => c.ruleKey === 'male-gender')).toBeUndefined();
    expect(counts.items.find((c) => c.ruleKey === 'young-not-over-50')).toMatchObject({ faces: 1 });
    await call(host, 'rules.set', { text: before.text });
  });
});

describe('co-occurrence', () => {
  it('counts pairs over effective labels: symmetric m, asymmetric p', async () => {
    const [a, b, c] = faces.slice(0, 3) as [number, number, number];
    // Face a: Smiling + Male; face b: Smiling; face c: Male = -1, Smiling = -1.
    await setLabel(a, 'Smiling', 1);
    await setLabel(a, 'Male', 1);
    await setLabel(b, 'Smiling', 1);
    await setLabel(b, 'Male', -1);
    await setLabel(c, 'Smiling', -1);
    await setLabel(c, 'Male', -1);
    const co = await call<Cooccurrence>(host, 'stats.cooccurrence', {
      datasetId: dataset.id,
      source: 'labels',
    });
    const k = co.keys.length;
    const s = co.keys.indexOf('Smiling');
    const m = co.keys.indexOf('Male');
    expect(co.n[s]).toBe(2);
    expect(co.m[s * k + m]).toBe(co.m[m * k + s]);
    expect(co.m[s * k + m]).toBe(1);
    expect(co.p[s * k + m]).toBeCloseTo(1 / 2); // of the two smiling faces, one is male
    // Two faces are male, but the other one (from an earlier test) has no Smiling label: it is not counted.
    expect(co.n[m]).toBe(2);
    expect(co.pairN[m * k + s]).toBe(1);
    expect(co.p[m * k + s]).toBe(1);
  });
});

describe('faceinsight check', () => {
  const cli = (args: string[]) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/main/cli.ts'), 'check', '--db', host.info.dbPath, ...args],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );

  it('lists violations as JSON and exits 1 when an error rule is broken', () => {
    const r = cli(['--json']);
    expect(r.status).toBe(1);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.at(-1)!;
    expect(summary.errors).toBeGreaterThan(0);
    expect(lines.some((l) => l.rule === 'young-not-over-50' && typeof l.image === 'string')).toBe(true);
  });

  it('exits 0 with a rules file the labels satisfy, and 2 with one that does not parse', () => {
    const ok = join(dir, 'ok.rules');
    writeFileSync(ok, 'glasses-hat: warning: Eyeglasses -> !Wearing_Hat  # test\n');
    expect(cli(['--rules', ok]).status).toBe(0);
    const bad = join(dir, 'bad.rules');
    writeFileSync(bad, '\nx: error: Bald -> (Bangs\n');
    const r = cli(['--rules', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.rules:2:\d+/);
    // Too deep for the engine: a located refusal, not a stack overflow; and a BOM is not part of a rule id.
    writeFileSync(bad, `\uFEFFok: warning: Bald\ndeep: error: ${'!'.repeat(150)}Bald\n`);
    const deep = cli(['--rules', bad]);
    expect(deep.status).toBe(2);
    expect(deep.stderr).toMatch(/bad\.rules:2:114: the rule nests more than 100 levels deep/);
    expect(deep.stderr).not.toMatch(/Maximum call stack|at .*\.ts:\d+/);
  });

  it('leaves the database untouched', () => {
    const db = new Database(host.info.dbPath, { readonly: true });
    const n = db.prepare('SELECT count(*) FROM violations').pluck().get();
    cli(['--json']);
    expect(db.prepare('SELECT count(*) FROM violations').pluck().get()).toBe(n);
    db.close();
  });
});
