// `faceinsight analyze` on demo photos stores age / gender / expression from face-api's converted nets (the
// defaults), in the stored shapes, with their model ids; FACEINSIGHT_EXPRESSION_MODEL=emotion selects Human's.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EXPRESSIONS } from '../../../src/main/analysis/heads';
import { copySamples, ROOT, tempDir } from '../../helpers/fs';

const tmp = tempDir('fi-faceapi-');
afterAll(() => tmp.cleanup());

type Row = { image: string; idx: number; modelId: string; version: string; task: string; value: string };

/** Runs the CLI's analyze on `photos` in a fresh data dir and returns every stored prediction. */
function analyze(photos: string, dataDir: string, env: Record<string, string> = {}): Row[] {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src/main/cli.ts'),
      'analyze',
      photos,
      '--ep',
      'cpu',
      '--json',
      '--data-dir',
      dataDir,
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 480_000, env: { ...process.env, ...env } },
  );
  expect(r.status, r.stderr).toBe(0);
  const db = new Database(join(dataDir, 'faceinsight.db'), { readonly: true });
  const rows = db
    .prepare(
      `SELECT i.rel_path AS image, f.idx AS idx, p.model_id AS modelId, p.model_version AS version,
              p.task AS task, p.value AS value
       FROM predictions p JOIN faces f ON f.id = p.face_id JOIN images i ON i.id = f.image_id
       ORDER BY i.rel_path, f.idx, p.task`,
    )
    .all() as Row[];
  db.close();
  return rows;
}

const byFace = (rows: Row[]) => {
  const faces = new Map<string, Record<string, Row>>();
  for (const r of rows) {
    const key = `${r.image}#${r.idx}`;
    faces.set(key, { ...faces.get(key), [r.task]: r });
  }
  return faces;
};

describe('faceinsight analyze with the face-api heads', () => {
  const photos = join(tmp.dir, 'photos');
  copySamples(photos, ['sample1.jpg', 'sample2.jpg']);
  let defaults: Map<string, Record<string, Row>>;

  it('stores gender, age and expression from faceapi-agegender / faceapi-expression for every face', () => {
    defaults = byFace(analyze(photos, join(tmp.dir, 'default')));
    expect(defaults.size).toBeGreaterThanOrEqual(6); // three faces in each photo
    for (const [face, p] of defaults) {
      expect(p.gender, face).toMatchObject({ modelId: 'faceapi-agegender', version: 'face-api-1.7.15' });
      expect(p.age, face).toMatchObject({ modelId: 'faceapi-agegender', version: 'face-api-1.7.15' });
      expect(p.expression, face).toMatchObject({ modelId: 'faceapi-expression', version: 'face-api-1.7.15' });
      expect(p.race?.modelId, face).toBe('gear');
      const gender = JSON.parse(p.gender!.value) as { label: string; p: number };
      const age = JSON.parse(p.age!.value) as { years: number; p?: number[] };
      const expr = JSON.parse(p.expression!.value) as { label: string; probs: Record<string, number> };
      // The stored shapes: gender {label, p >= 0.5}; age {years} (face-api regresses years, no distribution);
      // expression {label, probs} over the app's seven names, the label at the maximum.
      expect(['Male', 'Female']).toContain(gender.label);
      expect(gender.p).toBeGreaterThanOrEqual(0.5);
      expect(age.years).toBeGreaterThan(10);
      expect(age.years).toBeLessThan(70);
      expect(age.p).toBeUndefined();
      expect(Object.keys(expr.probs).sort()).toEqual([...EXPRESSIONS].sort());
      expect(Object.values(expr.probs).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
      expect(expr.probs[expr.label]).toBe(Math.max(...Object.values(expr.probs)));
      // The derived Male attribute reads the serving gender model.
      const male = JSON.parse(p.Male!.value) as { value: number };
      expect(male.value === 1, face).toBe(gender.label === 'Male');
      console.log(
        `${face}: ${gender.label} ${gender.p}, ${age.years} y, ${expr.label} ${expr.probs[expr.label]}`,
      );
    }
    // sample1: three women.
    const sample1 = [...defaults].filter(([k]) => k.startsWith('sample1'));
    expect(sample1).toHaveLength(3);
    for (const [face, p] of sample1) expect(JSON.parse(p.gender!.value).label, face).toBe('Female');
  }, 600_000);

  it('keeps the bundled emotion model selectable: FACEINSIGHT_EXPRESSION_MODEL=emotion', () => {
    const one = join(tmp.dir, 'one');
    copySamples(one, ['sample1.jpg']);
    const faces = byFace(analyze(one, join(tmp.dir, 'emotion'), { FACEINSIGHT_EXPRESSION_MODEL: 'emotion' }));
    expect(faces.size).toBe(3);
    for (const [face, p] of faces) {
      expect(p.expression, face).toMatchObject({ modelId: 'emotion', version: 'human-models-3.0.4' });
      expect(p.gender?.modelId, face).toBe('faceapi-agegender');
      // Same faces, same crops: the age / gender model's values do not depend on the expression model.
      const same = defaults.get(face)!;
      expect(JSON.parse(p.age!.value), face).toEqual(JSON.parse(same.age!.value));
      expect(JSON.parse(p.gender!.value), face).toEqual(JSON.parse(same.gender!.value));
    }
  }, 600_000);

  it('fails the analyze job on an unknown model name, naming the variable and the choices', () => {
    const dataDir = join(tmp.dir, 'bad');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src/main/cli.ts'),
        'analyze',
        photos,
        '--ep',
        'cpu',
        '--data-dir',
        dataDir,
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 240_000,
        env: { ...process.env, FACEINSIGHT_EXPRESSION_MODEL: 'nope' },
      },
    );
    expect(r.status).toBe(1);
    // The CLI says why the job failed, not only the database.
    expect(r.stderr).toMatch(/analyze job \d+ failed: FACEINSIGHT_EXPRESSION_MODEL: "nope" is not one of/);
    const db = new Database(join(dataDir, 'faceinsight.db'), { readonly: true });
    const job = db.prepare(`SELECT state, error FROM jobs WHERE kind = 'analyze'`).get() as {
      state: string;
      error: string;
    };
    db.close();
    expect(job).toEqual({
      state: 'failed',
      error: 'FACEINSIGHT_EXPRESSION_MODEL: "nope" is not one of faceapi-expression, emotion',
    });
  }, 300_000);
});
