// The job process's model thread: the ORT sessions on a worker thread give the analyzer the same results as
// sessions on the calling thread; inputs are handed over or copied as documented; errors and a stopped thread
// reach the caller; the benchmark's record / replay sees every run.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyzer, type ImageAnalysis } from '../../../src/main/analysis';
import { loadRegistry, type ModelRegistry } from '../../../src/main/models/registry';
import { ModelThread, ModelThreads, modelThreadPlan } from '../../../src/main/analysis/model-thread';
import { AppError } from '../../../src/shared/errors';
import { copySamples, ROOT, tempDir } from '../../helpers/fs';
import { testAnalyzer, type TestAnalyzer } from '../../helpers/analysis/runtime';

const tmp = tempDir('fi-model-thread-');
const bundledDir = join(ROOT, 'resources', 'models');
let registry: ModelRegistry;
let thread: ModelThread;
let local: TestAnalyzer;
let photos: string[];

beforeAll(async () => {
  registry = await loadRegistry({ bundledDir });
  thread = await ModelThread.start({ bundledDir, dataDir: join(tmp.dir, 'data'), provider: 'cpu' });
  local = await testAnalyzer(join(tmp.dir, 'data'));
  photos = copySamples(join(tmp.dir, 'photos')).slice(0, 3);
});

afterAll(async () => {
  await thread?.close();
  await local?.dispose();
  tmp.cleanup();
});

/** Largest |a - b| relative to the larger magnitude (floor 1). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!), Math.abs(b[i]!)));
  }
  return worst;
}

/** The same faces, boxes, landmarks, embeddings, predictions and mask areas, image by image. */
function expectSameAnalyses(a: ImageAnalysis[], b: ImageAnalysis[]): void {
  expect(a.map((r) => r.faces.length)).toEqual(b.map((r) => r.faces.length));
  a.forEach((r, i) => {
    r.faces.forEach((f, k) => {
      const g = b[i]!.faces[k]!;
      expect(Math.abs(f.box.x - g.box.x)).toBeLessThan(0.01);
      expect(Math.abs(f.box.w - g.box.w)).toBeLessThan(0.01);
      expect(maxRelDiff(f.landmarks, g.landmarks)).toBeLessThan(1e-4);
      expect(maxRelDiff(f.embeddings[0]!.vector, g.embeddings[0]!.vector)).toBeLessThan(1e-4);
      const labels = (x: typeof f) =>
        x.predictions.map((p) => {
          const v = p.value as { label?: unknown; value?: unknown; years?: unknown };
          return `${p.task}=${String(v.label ?? v.value ?? v.years)}`;
        });
      expect(labels(f)).toEqual(labels(g));
      expect(f.mask.areas.fraction).toEqual(g.mask.areas.fraction);
    });
  });
}

describe('analysis through the model thread', () => {
  it('splits two threads by model only where there are two cores or more, and the cores but one among them', () => {
    expect(modelThreadPlan(1)).toEqual({ threads: 1, intraOpThreads: 1 });
    expect(modelThreadPlan(2)).toEqual({ threads: 2, intraOpThreads: 1 });
    expect(modelThreadPlan(8)).toEqual({ threads: 2, intraOpThreads: 3 });
  });

  it('gives the same results on two model threads as in-thread, images in flight together', async () => {
    const threads = await ModelThreads.start(
      { bundledDir, dataDir: join(tmp.dir, 'data'), provider: 'cpu' },
      { threads: 2, intraOpThreads: 1 },
    );
    try {
      expect(threads.size).toBe(2);
      const remote = createAnalyzer(threads.batching(registry, 8), { batchSize: 8 });
      const viaThreads = await Promise.all(photos.map((p) => remote.analyze(p)));
      const inThread: ImageAnalysis[] = [];
      for (const p of photos) inThread.push(await local.analyzer.analyze(p));
      expectSameAnalyses(viaThreads, inThread);
    } finally {
      await threads.close();
    }
  });

  it('finds the same faces with the same predictions as the in-thread runtime, images in flight together', async () => {
    const remote = createAnalyzer(thread.batching(registry, 8), { batchSize: 8 });
    // Concurrent images, so runs mix rows of several images (a different batch composition from one at a time).
    const viaThread = await Promise.all(photos.map((p) => remote.analyze(p)));
    const inThread: ImageAnalysis[] = [];
    for (const p of photos) inThread.push(await local.analyzer.analyze(p));
    expect(viaThread.every((r) => r.faces.length >= 3)).toBe(true);
    expectSameAnalyses(viaThread, inThread);
  });
});

describe('ModelThread.run', () => {
  const selfieInput = () => new Float32Array(256 * 256 * 3).fill(0.5);

  it('hands over an input that is a whole buffer, and copies a view into a larger buffer', async () => {
    const whole = selfieInput();
    const out = await thread.run('selfie', { 'input_1:0': { data: whole, dims: [1, 256, 256, 3] } });
    expect(whole.length).toBe(0); // detached: the thread owns it now
    // Sending it again is refused at once (it used to leave the run waiting forever).
    await expect(
      thread.run('selfie', { 'input_1:0': { data: whole, dims: [1, 256, 256, 3] } }),
    ).rejects.toThrow(/holds 0 values for dims \[1, 256, 256, 3\] \(its buffer was already handed/);
    const matte = out['activation_10:0']!;
    expect(matte.dims).toEqual([1, 256, 256, 1]);

    const big = new Float32Array(2 * 256 * 256 * 3).fill(0.5);
    const view = big.subarray(256 * 256 * 3);
    const again = await thread.run('selfie', { 'input_1:0': { data: view, dims: [1, 256, 256, 3] } });
    expect(view.length).toBe(256 * 256 * 3);
    expect(big[0]).toBe(0.5);
    // Same input, same session: the same matte.
    expect(Array.from(again['activation_10:0']!.data as Float32Array)).toEqual(
      Array.from(matte.data as Float32Array),
    );
  });

  it('passes the runtime error back with its code and message', async () => {
    const wrong = thread.run('selfie', {
      'input_1:0': { data: new Float32Array(10 * 10 * 3), dims: [1, 10, 10, 3] },
    });
    const err = await wrong.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_request');
    expect((err as AppError).message).toMatch(/selfie/);
    const missing = await thread.run('no-such-model', {}).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AppError);
    expect((missing as AppError).message).toMatch(/no-such-model/);
    // The thread is still usable.
    const ok = await thread.run('selfie', { 'input_1:0': { data: selfieInput(), dims: [1, 256, 256, 3] } });
    expect(ok['activation_10:0']!.dims[0]).toBe(1);
  });

  it('records every run as it reaches the sessions and replays them', async () => {
    const rt = thread.batching(registry, 4);
    await thread.record(true, 4 << 20);
    // Three requests of 3 rows each at batch size 4: 9 rows in runs of at most 4.
    await Promise.all(
      [0, 1, 2].map(() =>
        rt.run('selfie', {
          'input_1:0': { data: new Float32Array(3 * 256 * 256 * 3), dims: [3, 256, 256, 3] },
        }),
      ),
    );
    const report = await thread.replay();
    expect(report.byModel.selfie!.rows).toBe(9);
    expect(report.byModel.selfie!.calls).toBeGreaterThanOrEqual(3);
    expect(report.byModel.selfie!.ms).toBeGreaterThan(0);
    expect(report.inPipelineMs).toBeGreaterThan(0);
    // Copies of all 9 rows' inputs: some on the 4 MB set aside, the rest on memory added as needed.
    expect(report.recordedBytes).toBe(9 * 256 * 256 * 3 * 4);
    // Recording stopped with the replay.
    await rt.run('selfie', { 'input_1:0': { data: selfieInput(), dims: [1, 256, 256, 3] } });
    expect((await thread.replay()).byModel).toEqual({});
  });

  it('fails pending and later requests once the thread has stopped', async () => {
    const other = await ModelThread.start({ bundledDir, dataDir: join(tmp.dir, 'data'), provider: 'cpu' });
    let stopped: AppError | null = null;
    other.onStop((e) => (stopped = e));
    await other.close();
    const err = await other
      .run('selfie', { 'input_1:0': { data: selfieInput(), dims: [1, 256, 256, 3] } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(/model thread stopped/);
    expect(stopped).not.toBeNull();
  });
});
