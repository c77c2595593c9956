// Learning on analysed demo photos: identities and duplicates, a training run, review order, cancel keeps the model.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Dataset,
  FaceDetail,
  FaceSummary,
  IdentityReport,
  IdentityResult,
  Job,
  LearningReport,
  Page,
  RankedFace,
} from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { DEMO_DIR, copySamples, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { rankingStats } from '../../../src/main/learning/ranking';

let host: AppHost;
let cleanup: () => void;
let dataset: Dataset;
let faces: FaceSummary[];

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  const photos = join(t.dir, 'photos');
  copySamples(photos);
  // The same photo at 60 % size, and a byte-identical copy.
  const src = join(DEMO_DIR, 'sample1.jpg');
  const { width } = await sharp(src).metadata();
  await sharp(src)
    .resize({ width: Math.round(width! * 0.6) })
    .jpeg({ quality: 90 })
    .toFile(join(photos, 'sample1-small.jpg'));
  copyFileSync(join(DEMO_DIR, 'sample2.jpg'), join(photos, 'sample2-copy.jpg'));
  host = await startTestApp(join(t.dir, 'data'));
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', { root: photos });
  await waitForJob(host, created.job.id);
  dataset = created.dataset;
  const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
  expect((await waitForJob(host, job.id, 600_000)).state).toBe('done');
  faces = (await call<Page<FaceSummary>>(host, 'faces.list', { datasetId: dataset.id, limit: 1000 })).items;
}, 900_000);
afterAll(async () => {
  await host?.close();
  cleanup?.();
});

/** The fresh identity report: the stored one, or the one the `identities` job it queues computes. */
async function identities(req: Record<string, unknown> = {}): Promise<IdentityReport> {
  const first = await call<IdentityResult>(host, 'learning.identities', { datasetId: dataset.id, ...req });
  if (!first.job) {
    expect(first.state).toBe('fresh');
    return first.report!;
  }
  expect(first.job.kind).toBe('identities');
  expect((await waitForJob(host, first.job.id, 300_000)).state).toBe('done');
  const r = await call<IdentityResult>(host, 'learning.identities', { datasetId: dataset.id, ...req });
  expect(r).toMatchObject({ state: 'fresh', job: null });
  expect(r.computedAt).toBeGreaterThan(0);
  return r.report!;
}

describe('identities and duplicates', () => {
  it('are computed by a job in the job process, stored, and stale once the splits of the faces change', async () => {
    const missing = await call<IdentityResult>(host, 'learning.identities', { datasetId: dataset.id });
    expect(missing).toMatchObject({ state: 'missing', report: null, computedAt: null });
    expect(missing.job).toMatchObject({ kind: 'identities', datasetId: dataset.id });
    // Asked again while it runs: the same job, not a second one.
    const again = await call<IdentityResult>(host, 'learning.identities', { datasetId: dataset.id });
    if (again.job) expect(again.job.id).toBe(missing.job!.id);
    const report = await identities();
    expect(report.faces).toBe(faces.length);
    const stored = await call<IdentityResult>(host, 'learning.identities', { datasetId: dataset.id });
    expect(stored).toMatchObject({ state: 'fresh', job: null, report });

    const db = new Database(host.info.dbPath);
    db.prepare(`UPDATE images SET split = 'train' WHERE rel_path = 'sample1.jpg'`).run();
    db.prepare(`UPDATE images SET split = 'test' WHERE rel_path = 'sample1-small.jpg'`).run();
    db.close();
    const stale = await call<IdentityResult>(host, 'learning.identities', { datasetId: dataset.id });
    expect(stale).toMatchObject({ state: 'stale', report, computedAt: stored.computedAt });
    expect(stale.job).toMatchObject({ kind: 'identities' });
    expect((await waitForJob(host, stale.job!.id, 300_000)).state).toBe('done');
    // Other thresholds than the stored report's: stale until a job computes them.
    const strict = await call<IdentityResult>(host, 'learning.identities', {
      datasetId: dataset.id,
      threshold: 0.999,
    });
    expect(strict.state).toBe('stale');
    expect(strict.job).not.toBeNull();
    await waitForJob(host, strict.job!.id, 300_000);
  });

  it('puts a face and its resized copy in one cluster and keeps the people of sample1 apart', async () => {
    const r = await identities();
    const clusterOf = new Map<number, number>();
    for (const c of r.clusters) for (const f of c.faces) clusterOf.set(f.faceId, c.id);
    const inSample1 = faces.filter((f) => f.relPath === 'sample1.jpg');
    const inSmall = faces.filter((f) => f.relPath === 'sample1-small.jpg');
    expect(inSample1.length).toBeGreaterThanOrEqual(2);
    expect(inSmall).toHaveLength(inSample1.length);
    for (const f of inSample1) {
      // Its copy is the face at the same relative position in the resized photo.
      const twin = inSmall.reduce((best, g) =>
        Math.abs(g.box.x / 0.6 - f.box.x) < Math.abs(best.box.x / 0.6 - f.box.x) ? g : best,
      );
      expect(clusterOf.get(f.id), `face ${f.id}`).toBeDefined();
      expect(clusterOf.get(f.id)).toBe(clusterOf.get(twin.id));
    }
    const clustersOfSample1 = inSample1.map((f) => clusterOf.get(f.id));
    expect(new Set(clustersOfSample1).size).toBe(inSample1.length);
    expect(r.sameBytes.map((g) => g.images.map((i) => i.relPath).sort())).toContainEqual([
      'sample2-copy.jpg',
      'sample2.jpg',
    ]);
    const dupPaths = r.nearDuplicates.map((p) => [p.a.relPath, p.b.relPath].sort().join(' '));
    expect(dupPaths).toContain('sample1-small.jpg sample1.jpg');
    expect(r.leakage.length).toBe(inSample1.length);
    expect(r.leakage[0]!.splits).toEqual(['test', 'train']);
  });
});

describe('training', () => {
  let first: LearningReport;

  it('trains on labelled faces, reports CV metrics and predicts the unlabelled faces', async () => {
    // Label half the faces: Male from the faceres gender, Bald and Eyeglasses by position (both values occur).
    const labelled = faces.filter((_, i) => i % 2 === 0);
    const males = new Set<number>();
    for (const [i, f] of labelled.entries()) {
      const d = await call<FaceDetail>(host, 'faces.get', { id: f.id });
      const gender = d.predictions.find((p) => p.task === 'gender')?.value as { label: string };
      const male = gender.label === 'Male' ? 1 : -1;
      males.add(male);
      await call(host, 'labels.set', { faceId: f.id, key: 'Male', value: male });
      await call(host, 'labels.set', { faceId: f.id, key: 'Bald', value: i % 3 === 0 ? 1 : -1 });
      await call(host, 'labels.set', { faceId: f.id, key: 'Eyeglasses', value: i % 4 === 1 ? 1 : -1 });
    }
    // A head needs both values among the labels; Male joins only when the photos gave both.
    const keys = males.size === 2 ? ['Bald', 'Eyeglasses', 'Male'] : ['Bald', 'Eyeglasses'];
    const job = await call<Job>(host, 'learning.train', { datasetId: dataset.id, folds: 3, lambda: 0.5 });
    const done = await waitForJob(host, job.id, 300_000);
    expect(done.state, done.error ?? '').toBe('done');
    first = await call<LearningReport>(host, 'learning.report', { datasetId: dataset.id });
    expect(first.model).toMatchObject({ embeddingModel: 'faceres', lambda: 0.5, faces: labelled.length });
    expect(first.model!.keys).toEqual(keys);
    expect(first.evaluation!.folds).toBe(3);
    for (const a of first.evaluation!.attributes) {
      expect(a.n).toBe(labelled.length);
      expect(a.accuracy).toBeGreaterThanOrEqual(0);
      expect(a.majorityBaseline).toBeGreaterThan(0);
    }
    // No error rule joins two of the trained attributes; each skipped rule says why.
    const why = new Map(first.rules.skipped.map((s) => [s.ruleId, s.reason]));
    expect(why.get('bald-no-bangs')).toBe('no head for Bangs');
    expect(why.get('male-gender')).toMatch(/gender/);
    const unlabelled = faces.find((_, i) => i % 2 === 1)!;
    const d = await call<FaceDetail>(host, 'faces.get', { id: unlabelled.id });
    const learned = d.predictions.filter((p) => p.source === 'learned');
    expect(learned.map((p) => p.task).sort()).toEqual(keys);
    for (const p of learned) {
      expect(p).toMatchObject({ modelId: 'learned-heads', modelVersion: first.model!.runId });
    }
    // A labelled face gets only held-out predictions: from the fold heads that never saw its labels (#29).
    const labelledDetail = await call<FaceDetail>(host, 'faces.get', { id: labelled[0]!.id });
    const heldOut = labelledDetail.predictions.filter((p) => p.source === 'learned');
    expect(heldOut.map((p) => p.task).sort()).toEqual(keys);
    for (const p of heldOut) {
      expect(p).toMatchObject({ modelId: 'learned-oof', modelVersion: first.model!.runId });
      expect(p.value).toMatchObject({ heldOut: true });
    }
  });

  it('learning.next reads one cached ranking until a label event changes it', async () => {
    const next = () => call<{ item: RankedFace | null }>(host, 'learning.next', { datasetId: dataset.id });
    const first = await next();
    const computed = rankingStats.computed;
    for (let i = 0; i < 3; i++) expect((await next()).item?.face.id).toBe(first.item?.face.id);
    await call<Page<RankedFace>>(host, 'learning.ranking', { datasetId: dataset.id, limit: 5 });
    expect(rankingStats.computed).toBe(computed);
    // A human edit is a label event: the next call ranks again.
    const other = faces.find((f) => f.id !== first.item!.face.id)!;
    await call(host, 'labels.set', { faceId: other.id, key: 'Smiling', value: 1 });
    await next();
    expect(rankingStats.computed).toBe(computed + 1);
    await next();
    expect(rankingStats.computed).toBe(computed + 1);
    // Clearing it again is another event, and leaves the labels as the next test expects them.
    await call(host, 'labels.set', { faceId: other.id, key: 'Smiling', value: null });
    await next();
    expect(rankingStats.computed).toBe(computed + 2);
  });

  it('ranks faces for review and hands out the most useful unreviewed one', async () => {
    const page = await call<Page<RankedFace>>(host, 'learning.ranking', { datasetId: dataset.id, limit: 5 });
    expect(page.total).toBe(faces.length);
    const scores = page.items.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const next = await call<{ item: RankedFace | null }>(host, 'learning.next', {
      datasetId: dataset.id,
      order: 'useful',
    });
    expect(next.item?.face.id).toBe(page.items[0]!.face.id);
    // A face without human labels is uncertain; a human-labelled one is not.
    expect(next.item!.uncertainty).toBeGreaterThan(0);
  });

  it('leaves the previous model and its predictions in use when a training job is cancelled', async () => {
    const job = await call<Job>(host, 'learning.train', {
      datasetId: dataset.id,
      folds: 10,
      epochs: 500,
      lambda: 2,
    });
    let sawRunning = false;
    for (let i = 0; i < 400 && !sawRunning; i++) {
      sawRunning = (await call<Job>(host, 'jobs.get', { id: job.id })).state === 'running';
      if (!sawRunning) await new Promise((r) => setTimeout(r, 25));
    }
    expect(sawRunning).toBe(true);
    await call(host, 'jobs.cancel', { id: job.id });
    const ended = await waitForJob(host, job.id, 120_000);
    expect(ended.state).toBe('cancelled');
    const after = await call<LearningReport>(host, 'learning.report', { datasetId: dataset.id });
    expect(after.model!.runId).toBe(first.model!.runId);
    const unlabelled = faces.find((_, i) => i % 2 === 1)!;
    const d = await call<FaceDetail>(host, 'faces.get', { id: unlabelled.id });
    const versions = new Set(d.predictions.filter((p) => p.source === 'learned').map((p) => p.modelVersion));
    expect([...versions]).toEqual([first.model!.runId]);
  });
});
