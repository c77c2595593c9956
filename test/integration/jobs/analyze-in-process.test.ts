// The analyze job without its model thread (FACEINSIGHT_MODEL_THREAD=0, also the fallback when the thread cannot
// start) stores the same faces and predictions as with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Dataset, FaceDetail, FaceSummary, Job, Page } from '../../../src/shared/api';
import { copySamples, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';

const tmp = tempDir('fi-analyze-in-process-');

beforeAll(() => {
  copySamples(join(tmp.dir, 'photos'), ['sample2.jpg']);
});
afterAll(() => tmp.cleanup());

/** Analyses the photo in a fresh app; returns each face's box and its predictions as task=label strings. */
async function analyse(dataDir: string): Promise<{ box: number[]; labels: string[] }[]> {
  const host = await startTestApp(dataDir);
  try {
    const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
      root: join(tmp.dir, 'photos'),
    });
    await waitForJob(host, created.job.id);
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: created.dataset.id, ep: 'cpu' });
    expect(await waitForJob(host, job.id, 240_000)).toMatchObject({ state: 'done', failed: 0 });
    const page = await call<Page<FaceSummary>>(host, 'faces.list', {
      datasetId: created.dataset.id,
      limit: 100,
    });
    const out = [];
    for (const f of page.items) {
      const d = await call<FaceDetail>(host, 'faces.get', { id: f.id });
      const labels = d.predictions
        .map((p) => {
          const v = p.value as { label?: unknown; value?: unknown; years?: unknown };
          return `${p.task}=${String(v.label ?? v.value ?? v.years)}`;
        })
        .sort();
      out.push({ box: [f.box.x, f.box.y, f.box.w, f.box.h].map((x) => Math.round(x)), labels });
    }
    return out.sort((a, b) => a.box[0]! - b.box[0]!);
  } finally {
    await host.close();
  }
}

describe('analyze without the model thread', () => {
  it('stores the same faces and predictions as with it', async () => {
    const withThread = await analyse(join(tmp.dir, 'a'));
    process.env.FACEINSIGHT_MODEL_THREAD = '0';
    let inProcess;
    try {
      inProcess = await analyse(join(tmp.dir, 'b'));
    } finally {
      delete process.env.FACEINSIGHT_MODEL_THREAD;
    }
    expect(withThread.length).toBe(3);
    expect(withThread.every((f) => f.box.every((v) => Number.isFinite(v) && v >= 0) && f.box[2]! > 20)).toBe(
      true,
    );
    expect(inProcess).toEqual(withThread);
  });
});
