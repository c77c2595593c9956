// Team mode's analysis workers on PostgreSQL: `faceinsight worker` processes take a job's items from pg-boss; one
// killed with -9 mid-item loses nothing and doubles nothing; --root-map finds the images on the worker's machine.
import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, Events, Job } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { startApp } from '../../../src/main/app';
import { copyDatabase } from '../../../src/main/store/copy';
import { openStore } from '../../../src/main/store/index';
import { startHttpServer } from '../../../src/main/transports/http';
import { addUser } from '../../../src/main/users';
import { call, waitForJob } from '../../helpers/app';
import { freshTarget, rawDb, skipBackend } from '../../helpers/backends';
import { DEMO_DIR, ROOT, SAMPLE_NAMES, tempDir } from '../../helpers/fs';
import { startWorker as launchWorker, type WorkerProcess } from '../../helpers/worker';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * Leases this short let a killed worker's item come back within seconds (production: 5 minutes). The server's job
 * process enqueues the job, so its lease (this process's environment, inherited) is the one in force.
 */
const LEASE_MS = 5000;
process.env.FACEINSIGHT_LEASE_MS = String(LEASE_MS);

/** Starts a worker (one image at a time, the test's lease) and kills it at the end of the test if still running. */
async function startWorker(
  db: string,
  dataDir: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const w = await launchWorker(db, dataDir, ['--concurrency', '1', ...extra], {
    FACEINSIGHT_LEASE_MS: String(LEASE_MS),
    ...env,
  });
  cleanups.push(async () => {
    if (w.proc.exitCode === null && w.proc.signalCode === null) {
      w.proc.kill('SIGKILL');
      await w.exited;
    }
  });
  return w;
}

/** The server side: the app on the team database, leaving analysis items to the workers. */
async function server(
  dataDir: string,
  db: string,
): Promise<{ host: AppHost; events: Events['jobs.progressed'][] }> {
  const host = await startApp({ dataDir, dbPath: db, mode: 'browser', workersOnly: true });
  cleanups.push(() => host.close());
  await host.eventsReady;
  const events: Events['jobs.progressed'][] = [];
  host.on((event, payload) => {
    if (event === 'jobs.progressed') events.push(payload as Events['jobs.progressed']);
  });
  return { host, events };
}

async function importFolder(host: AppHost, root: string): Promise<Dataset> {
  const { dataset, job } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', { root });
  expect((await waitForJob(host, job.id)).state).toBe('done');
  return dataset;
}

describe.skipIf(skipBackend('postgres'))('faceinsight worker on PostgreSQL', () => {
  it('three workers, one killed with -9 mid-item: every image analysed exactly once', async () => {
    const t = tempDir('fi-team-');
    cleanups.push(t.cleanup);
    const photos = join(t.dir, 'photos');
    mkdirSync(photos);
    // 12 images: each demo photo twice, so both copies must end with the same faces.
    for (const n of SAMPLE_NAMES) {
      copyFileSync(join(DEMO_DIR, n), join(photos, n));
      copyFileSync(join(DEMO_DIR, n), join(photos, `copy-${n}`));
    }
    const { target } = await freshTarget('postgres', 'team');
    const { host, events } = await server(join(t.dir, 'server'), target);
    const dataset = await importFolder(host, photos);
    const workers = await Promise.all([0, 1, 2].map((i) => startWorker(target, join(t.dir, `worker${i}`))));

    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    const db = rawDb(target);
    cleanups.push(() => void db.close());
    const victim = workers[0]!;
    const held = db.prepare(`SELECT id FROM job_items WHERE job_id = ? AND state = 'claimed' AND worker = ?`);
    let itemId: number | undefined;
    for (let i = 0; i < 2400 && itemId === undefined; i++) {
      itemId = (held.get(job.id, victim.id) as { id: number } | undefined)?.id;
      if (itemId === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    expect(itemId, 'the victim never held an item').toBeDefined();
    victim.proc.kill('SIGKILL');
    await victim.exited;

    const finished = await waitForJob(host, job.id, 180_000);
    expect(finished).toMatchObject({ state: 'done', done: 12, total: 12, failed: 0 });
    // Counted once per committed item: a doubled commit would make 13.
    expect(finished.summary.analyzed).toBe(12);
    const items = db
      .prepare(`SELECT id, state, worker, attempts FROM job_items WHERE job_id = ? ORDER BY id`)
      .all(job.id) as { id: number; state: string; worker: string; attempts: number }[];
    expect(items.map((i) => i.state)).toEqual(Array(12).fill('done'));
    const taken = items.find((i) => i.id === itemId)!;
    expect(taken.worker).not.toBe(victim.id);
    expect(taken.attempts).toBe(2);
    // Faces: the same per copy of a photo, every (image, idx) once, every image analysed.
    const faces = db
      .prepare(
        `SELECT i.sha256 AS sha, i.id AS imageId, count(f.id) AS n, count(DISTINCT f.idx) AS idx
         FROM images i LEFT JOIN faces f ON f.image_id = i.id
         WHERE i.dataset_id = ? AND i.analyzed_at IS NOT NULL GROUP BY i.sha256, i.id ORDER BY i.sha256, i.id`,
      )
      .all(dataset.id) as { sha: string; imageId: number; n: number; idx: number }[];
    expect(faces).toHaveLength(12);
    for (let i = 0; i < 12; i += 2) {
      expect(faces[i]!.sha).toBe(faces[i + 1]!.sha);
      expect(faces[i]!.n).toBe(faces[i + 1]!.n);
      expect(faces[i]!.n).toBeGreaterThan(0);
    }
    for (const f of faces) expect(f.idx).toBe(f.n);
    // The workers' progress reached the server's listeners (SSE clients) through NOTIFY: its own job process
    // processed nothing, yet its job bar moved to the end.
    expect(events.some((e) => e.jobId === job.id && e.state === 'running' && e.done > 0)).toBe(true);
    expect(events.some((e) => e.jobId === job.id && e.state === 'done' && e.done === 12)).toBe(true);
    // pg-boss keeps to its own schema; the job's queue went with the job.
    // (dropped by whoever ended the job, right after its commit: waited for).
    const queues = db.prepare(`SELECT count(*) FROM pgboss.queue WHERE name = ?`).pluck();
    for (let i = 0; i < 400 && queues.get(`faceinsight_job_${job.id}`) !== 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(queues.get(`faceinsight_job_${job.id}`)).toBe(0);

    // A clean stop: the survivors exit 0 on SIGTERM.
    for (const w of workers.slice(1)) w.proc.kill('SIGTERM');
    for (const w of workers.slice(1)) expect(await w.exited, w.stderr()).toBe(0);
    await host.close();
    // `faceinsight migrate` copies our tables and leaves pg-boss's schema alone.
    const report = copyDatabase(target, join(t.dir, 'copy.db'));
    // (the import's 12 items and the analysis's 12).
    expect(report.tables.find((x) => x.table === 'job_items')?.rows).toBe(24);
  }, 300_000);

  it('hands the items of a killed job process out again at once, not after the lease', async () => {
    const t = tempDir('fi-team-');
    cleanups.push(t.cleanup);
    const photos = join(t.dir, 'photos');
    mkdirSync(photos);
    for (const n of SAMPLE_NAMES) copyFileSync(join(DEMO_DIR, n), join(photos, n));
    const { target } = await freshTarget('postgres', 'jobkill');
    // A lease far beyond the wait below: the job can only finish if the freed items are handed out at once.
    process.env.FACEINSIGHT_LEASE_MS = String(10 * 60_000);
    cleanups.push(() => void (process.env.FACEINSIGHT_LEASE_MS = String(LEASE_MS)));
    const host = await startApp({ dataDir: join(t.dir, 'server'), dbPath: target, mode: 'browser' });
    cleanups.push(() => host.close());
    const dataset = await importFolder(host, photos);
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    const db = rawDb(target);
    cleanups.push(() => void db.close());
    const held = db.prepare(
      `SELECT id FROM job_items WHERE job_id = ? AND state = 'claimed' AND worker LIKE 'runner-%' LIMIT 1`,
    );
    let itemId: number | undefined;
    for (let i = 0; i < 2400 && itemId === undefined; i++) {
      itemId = (held.get(job.id) as { id: number } | undefined)?.id;
      if (itemId === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    expect(itemId, 'the job process never held an item').toBeDefined();
    process.kill(host.jobs.pid!, 'SIGKILL');
    const finished = await waitForJob(host, job.id, 120_000);
    expect(finished).toMatchObject({ state: 'done', done: 6, total: 6, failed: 0 });
    expect(finished.summary.analyzed).toBe(6);
    const attempts = db.prepare(`SELECT attempts FROM job_items WHERE id = ?`).pluck();
    expect(attempts.get(itemId)).toBe(2);
  }, 300_000);

  it('--root-map reads images where the folder is mounted here; a missing one fails naming both paths', async () => {
    const t = tempDir('fi-team-');
    cleanups.push(t.cleanup);
    const photos = join(t.dir, 'server-photos');
    mkdirSync(photos);
    for (const n of ['sample1.jpg', 'sample2.jpg']) copyFileSync(join(DEMO_DIR, n), join(photos, n));
    // The worker's machine has the folder elsewhere, and only one of the two photos in it.
    const mount = join(t.dir, 'mnt', 'faces');
    mkdirSync(mount, { recursive: true });
    copyFileSync(join(DEMO_DIR, 'sample1.jpg'), join(mount, 'sample1.jpg'));
    const { target } = await freshTarget('postgres', 'rootmap');
    const { host } = await server(join(t.dir, 'server'), target);
    const dataset = await importFolder(host, photos);
    await startWorker(target, join(t.dir, 'worker'), ['--root-map', `${photos}=${mount}`]);

    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    const finished = await waitForJob(host, job.id, 180_000);
    expect(finished).toMatchObject({ state: 'done', done: 2, failed: 1 });
    const { items } = await call<{ items: { key: string; error: string }[] }>(host, 'jobs.failures', {
      id: job.id,
    });
    expect(items).toHaveLength(1);
    expect(items[0]!.error).toBe(
      `file not found: sample2.jpg: ${join(mount, 'sample2.jpg')} (the database's ${join(photos, 'sample2.jpg')}, mapped by --root-map)`,
    );
  }, 300_000);

  it('--server downloads the images with a user token; a wrong token fails each item with the answer', async () => {
    const t = tempDir('fi-team-');
    cleanups.push(t.cleanup);
    const photos = join(t.dir, 'photos');
    mkdirSync(photos);
    for (const n of ['sample1.jpg', 'sample2.jpg']) copyFileSync(join(DEMO_DIR, n), join(photos, n));
    const { target } = await freshTarget('postgres', 'download');
    const { host } = await server(join(t.dir, 'server'), target);
    const http = await startHttpServer(host, {
      team: true,
      port: 0,
      staticDir: join(ROOT, 'out', 'renderer'),
    });
    cleanups.push(() => http.close());
    const store = openStore(target);
    const { token } = addUser(store, 'gpu-box', 'reviewer');
    store.close();
    const dataset = await importFolder(host, photos);

    const wrong = await startWorker(target, join(t.dir, 'w1'), ['--server', http.url], {
      FACEINSIGHT_TOKEN: 'fi_not-a-user',
    });
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    expect(await waitForJob(host, job.id, 180_000)).toMatchObject({ state: 'done', done: 2, failed: 2 });
    const { items } = await call<{ items: { error: string }[] }>(host, 'jobs.failures', { id: job.id });
    expect(items[0]!.error).toMatch(
      /^cannot download http:\/\/127\.0\.0\.1:\d+\/assets\/image\/\d+: 401 unknown or revoked user token$/,
    );
    wrong.proc.kill('SIGTERM');
    expect(await wrong.exited).toBe(0);

    await startWorker(target, join(t.dir, 'w2'), ['--server', http.url], { FACEINSIGHT_TOKEN: token });
    const rerun = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    const again = await waitForJob(host, rerun.id, 180_000);
    expect(again).toMatchObject({ state: 'done', done: 2, failed: 0 });
    expect(again.summary.analyzed).toBe(2);
  }, 300_000);
});
