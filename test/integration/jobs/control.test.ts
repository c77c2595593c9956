// Pause, resume and cancel of an analysis job through the service; progress events; the UI process stays live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, Events, Job, Page, ImageSummary } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { DEMO_DIR, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';

let host: AppHost;
let cleanup: () => void;
let dataset: Dataset;
const events: Events['jobs.progressed'][] = [];

async function until(fn: () => Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  const folder = join(t.dir, 'photos');
  mkdirSync(folder);
  // 12 real photos (the six demo photos twice) plus two broken files that must not stop the job.
  for (let i = 0; i < 12; i++)
    copyFileSync(
      join(DEMO_DIR, `sample${(i % 6) + 1}.jpg`),
      join(folder, `p${String(i).padStart(2, '0')}.jpg`),
    );
  writeFileSync(join(folder, 'broken.jpg'), 'not a jpeg');
  host = await startTestApp(join(t.dir, 'data'));
  host.on((event, payload) => {
    if (event === 'jobs.progressed') events.push(payload as Events['jobs.progressed']);
  });
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', { root: folder });
  await waitForJob(host, created.job.id);
  dataset = created.dataset;
}, 300_000);
afterAll(async () => {
  await host.close();
  cleanup();
});

describe('job control', () => {
  it('pauses after the items in flight, stays paused, and resumes to the end', async () => {
    // A file that went bad after its import: analysis lists it with the reason and goes on.
    writeFileSync(
      join(dataset.root, 'p11.jpg'),
      readFileSync(join(dataset.root, 'p11.jpg')).subarray(0, 2000),
    );
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    await until(
      async () => (await call<Job>(host, 'jobs.get', { id: job.id })).done >= 2,
      'two images analysed',
    );
    const paused = await call<Job>(host, 'jobs.pause', { id: job.id });
    expect(paused.state).toBe('paused');
    // Items already in flight may still land (however long a busy machine takes); after that the count must
    // stay put.
    const db = new Database(host.info.dbPath, { readonly: true });
    const claimed = db
      .prepare(`SELECT count(*) FROM job_items WHERE job_id = ? AND state = 'claimed'`)
      .pluck();
    try {
      await until(async () => claimed.get(job.id) === 0, 'the items in flight to land');
    } finally {
      db.close();
    }
    const a = await call<Job>(host, 'jobs.get', { id: job.id });
    await new Promise((r) => setTimeout(r, 1500));
    const b = await call<Job>(host, 'jobs.get', { id: job.id });
    expect(b.state).toBe('paused');
    expect(b.done).toBe(a.done);
    expect(b.done).toBeLessThan(12);

    // The UI process answers while the job process works (liveness only; latency is a bench figure).
    const resumed = await call<Job>(host, 'jobs.resume', { id: job.id });
    expect(resumed.state).toBe('running');
    const listed = await call<Page<ImageSummary>>(host, 'images.list', { datasetId: dataset.id });
    expect(listed.items.length).toBeGreaterThan(0);

    const done = await waitForJob(host, job.id, 240_000);
    expect(done).toMatchObject({ state: 'done', total: 12, done: 12, failed: 1 });
    expect(done.summary.analyzed).toBe(11);
    const failures = await call<{ items: { label: string; error: string }[] }>(host, 'jobs.failures', {
      id: job.id,
    });
    expect(failures.items).toEqual([
      { key: expect.any(String), label: 'p11.jpg', error: expect.stringMatching(/analysis failed/) },
    ]);

    const mine = events.filter((e) => e.jobId === job.id);
    for (let i = 1; i < mine.length; i++) expect(mine[i]!.done).toBeGreaterThanOrEqual(mine[i - 1]!.done);
    // The last event carries the final summary: a screen never shows a finished job's old counters.
    expect(mine.at(-1)).toMatchObject({
      state: 'done',
      done: 12,
      total: 12,
      kind: 'analyze',
      summary: done.summary,
    });
    expect(mine.some((e) => e.state === 'running' && e.rate !== null && e.rate > 0)).toBe(true);
  });

  it('cancels a running job, keeping what was done', async () => {
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, force: true, ep: 'cpu' });
    await until(
      async () => (await call<Job>(host, 'jobs.get', { id: job.id })).done >= 1,
      'one image analysed',
    );
    await call<Job>(host, 'jobs.cancel', { id: job.id });
    const end = await waitForJob(host, job.id);
    expect(end.state).toBe('cancelled');
    expect(end.done).toBeGreaterThanOrEqual(1);
    expect(end.done).toBeLessThan(11);
    const refused = await host.call('jobs.resume', { id: job.id });
    expect(!refused.ok && refused.error.code).toBe('conflict');
  });

  it('refuses to pause a finished job', async () => {
    const jobs = await call<{ items: Job[] }>(host, 'jobs.list', { datasetId: dataset.id });
    const finished = jobs.items.find((j) => j.state === 'done')!;
    const env = await host.call('jobs.pause', { id: finished.id });
    expect(!env.ok && env.error).toMatchObject({ code: 'conflict' });
  });
});
