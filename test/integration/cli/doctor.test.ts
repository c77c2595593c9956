// `faceinsight doctor --json`: providers, the chosen one per machine and per model with reasons, every bundled model
// ready with a hash; and `analyze --ep auto` stores what `--ep cpu` stores.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { copySamples, ROOT, tempDir } from '../../helpers/fs';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main/cli.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
  });

interface Report {
  providers: {
    available: string[];
    adapters: { provider: string; hardware: boolean; detail: string }[];
    chosen: string;
    reason: string;
  };
  models: { id: string; status: string; sha256: string | null; provider: string | null; reason: string }[];
  database: { exists: boolean };
  outputs: { output: string; kind: string; source: string }[];
}

describe('faceinsight doctor', () => {
  it('reports providers, the nine bundled models with the provider each runs on, and the database', () => {
    const t = tempDir();
    const r = cli(['doctor', '--json', '--data-dir', t.dir]);
    t.cleanup();
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.providers.available).toContain('cpu');
    expect(report.providers.reason.length).toBeGreaterThan(10);
    expect(report.models.map((m) => m.id).sort()).toEqual([
      'blazeface',
      'emotion',
      'faceapi-agegender',
      'faceapi-expression',
      'facemesh',
      'faceres',
      'gear',
      'mobilefacenet',
      'selfie',
    ]);
    for (const m of report.models) {
      expect(m).toMatchObject({ status: 'ready', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(m.reason.length, m.id).toBeGreaterThan(10);
    }
    for (const a of report.providers.adapters) expect(a.detail.length, a.provider).toBeGreaterThan(3);
    if (report.providers.chosen === 'cpu') {
      // No usable GPU: every model runs on CPU for the machine's reason, which names what was missing.
      expect(report.providers.reason).toMatch(/^no usable GPU provider: /);
      for (const m of report.models)
        expect(m).toMatchObject({ provider: 'cpu', reason: report.providers.reason });
    } else {
      for (const m of report.models) expect(['cpu', report.providers.chosen], m.id).toContain(m.provider);
    }
    expect(report.database.exists).toBe(false);
    // Plainly what is bundled and what is derived or learned.
    const out = Object.fromEntries(report.outputs.map((o) => [o.output, o]));
    expect(out['parsing map']).toMatchObject({
      kind: 'derived',
      source: expect.stringMatching(/no face-parsing model is bundled/),
    });
    expect(out['CelebA attributes']).toMatchObject({
      kind: 'learned',
      source: expect.stringMatching(/no CelebA attribute model is bundled.*learned from your labels/),
    });
    expect(out['face boxes']).toEqual({ output: 'face boxes', kind: 'model', source: 'blazeface (bundled)' });
    // face-api's nets serve age / gender and expression by default (docs/models.md).
    expect(out['age, gender']!.source).toBe('faceapi-agegender (bundled)');
    expect(out.expression!.source).toBe('faceapi-expression (bundled)');
  });

  it('exits 2 on an unknown provider', () => {
    const r = cli(['doctor', '--ep', 'tpu']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--ep/);
  });
});

type Row = { idx: number; modelId: string; task: string; source: string; value: string };

/** Analyses `photos` with `--ep ep` in a fresh data dir; returns the stored predictions and embeddings. */
function analyze(photos: string, dataDir: string, ep: string) {
  const r = cli(['analyze', photos, '--ep', ep, '--json', '--data-dir', dataDir]);
  expect(r.status, r.stderr).toBe(0);
  const db = new Database(join(dataDir, 'faceinsight.db'), { readonly: true });
  const predictions = db
    .prepare(
      `SELECT f.idx AS idx, p.model_id AS modelId, p.task AS task, p.source AS source, p.value AS value
       FROM predictions p JOIN faces f ON f.id = p.face_id ORDER BY f.idx, p.task, p.model_id`,
    )
    .all() as Row[];
  const embeddings = db
    .prepare(
      `SELECT f.idx AS idx, e.model_id AS modelId, e.vector AS vector
       FROM embeddings e JOIN faces f ON f.id = e.face_id ORDER BY f.idx, e.model_id`,
    )
    .all() as { idx: number; modelId: string; vector: Buffer }[];
  db.close();
  return { predictions, embeddings };
}

/** Numbers equal within `tol` (0: exactly), everything else equal. */
function close(a: unknown, b: unknown, tol: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= tol;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => close(x, b[i], tol));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return close(ka, kb, 0) && ka.every((k) => close(ra[k], rb[k], tol));
  }
  return a === b;
}

describe('analyze --ep auto', () => {
  it('stores the same predictions and embeddings as --ep cpu on a demo photo', () => {
    const t = tempDir();
    try {
      const photos = join(t.dir, 'photos');
      copySamples(photos, ['sample2.jpg']);
      const auto = analyze(photos, join(t.dir, 'auto'), 'auto');
      const cpu = analyze(photos, join(t.dir, 'cpu'), 'cpu');
      const ep = JSON.parse(readFileSync(join(t.dir, 'auto', 'ep.json'), 'utf8')) as {
        machines: Record<string, { provider: string }>;
      };
      // Where auto chose CPU the runs are the same computation: equal exactly. A GPU may differ in rounding.
      const onCpu = Object.values(ep.machines).every((d) => d.provider === 'cpu');
      const tol = onCpu ? 0 : 1e-3;
      expect(cpu.predictions.length).toBeGreaterThan(10);
      expect(auto.predictions.map((p) => [p.idx, p.modelId, p.task, p.source])).toEqual(
        cpu.predictions.map((p) => [p.idx, p.modelId, p.task, p.source]),
      );
      auto.predictions.forEach((p, i) => {
        const q = cpu.predictions[i]!;
        expect(
          close(JSON.parse(p.value), JSON.parse(q.value), tol),
          `${p.idx} ${p.task}: ${p.value} vs ${q.value}`,
        ).toBe(true);
      });
      expect(auto.embeddings.map((e) => [e.idx, e.modelId])).toEqual(
        cpu.embeddings.map((e) => [e.idx, e.modelId]),
      );
      auto.embeddings.forEach((e, i) => {
        const a = new Float32Array(e.vector.buffer, e.vector.byteOffset, e.vector.byteLength / 4);
        const c = cpu.embeddings[i]!.vector;
        const b = new Float32Array(c.buffer, c.byteOffset, c.byteLength / 4);
        expect(close([...a], [...b], tol), `${e.idx} ${e.modelId}`).toBe(true);
      });
    } finally {
      t.cleanup();
    }
  }, 300_000);
});
