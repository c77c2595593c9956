// `npm run bench -- team [images] [--sections analysis,queue]`: team mode on a throwaway PostgreSQL cluster (started
// as the tests start theirs). `analysis`: throughput of 1, 2 and 3 `faceinsight worker` processes on one analysis
// job, with lost / doubled checks; `queue`: what the queue costs per item (pg-boss fetch + complete, our claim and
// commit transactions) beside SQLite's row claims; `review`: review API p50 / p95 under 10 simulated reviewers
// (team-review.ts). A section is one entry of SECTIONS; the JSON has one key each.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Dataset, Job } from '../../src/shared/api';
import { startApp, type AppHost } from '../../src/main/app';
import { ItemQueue, openStore, type Store } from '../../src/main/store/index';
import { commitItem } from '../../src/main/jobs/runner';
import { createDatabase, postgresBinDir, startCluster, type PgCluster } from '../../test/helpers/postgres';
import { DEMO_DIR, ROOT, SAMPLE_NAMES, tempDir } from '../../test/helpers/fs';
import { startWorker } from '../../test/helpers/worker';

const args = process.argv.slice(2);
const sectionsArg = args.indexOf('--sections');
const wanted = sectionsArg >= 0 ? args[sectionsArg + 1]!.split(',') : null;
const images = Number(args.find((a) => /^\d+$/.test(a)) ?? 36);

interface Ctx {
  cluster: PgCluster;
  dir: string;
}

async function call<T>(host: AppHost, method: string, req: unknown): Promise<T> {
  const env = await host.call(method, req);
  if (!env.ok) throw new Error(`${method}: ${env.error.message}`);
  return env.value as T;
}

async function waitJob(host: AppHost, id: number): Promise<Job> {
  for (;;) {
    const job = await call<Job>(host, 'jobs.get', { id });
    if (['done', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One analysis job of `images` photos on `n` workers (the server analyses nothing): images/s, lost, doubled. */
async function analysisRun(ctx: Ctx, n: number) {
  const db = await createDatabase(ctx.cluster.baseUrl, `bench_team_${n}`);
  const photos = join(ctx.dir, 'photos');
  const host = await startApp({
    dataDir: join(ctx.dir, `server${n}`),
    dbPath: db,
    mode: 'browser',
    workersOnly: true,
  });
  const workers: ChildProcess[] = [];
  try {
    const { dataset, job: imp } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
      root: photos,
    });
    await waitJob(host, imp.id);
    for (let i = 0; i < n; i++) workers.push((await startWorker(db, join(ctx.dir, `w${n}-${i}`))).proc);
    const t = performance.now();
    const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
    const done = await waitJob(host, job.id);
    const seconds = (performance.now() - t) / 1000;
    const check = openStore(db);
    const lost = check.jobs.remaining(job.id);
    check.close();
    const analyzed = done.summary.analyzed ?? 0;
    return {
      workers: n,
      images: done.total,
      seconds: +seconds.toFixed(2),
      imagesPerSecond: +(done.total / seconds).toFixed(2),
      failed: done.failed,
      lost,
      doubled: Math.max(0, analyzed + done.failed - done.total),
      state: done.state,
    };
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.on('exit', r)))),
    );
    await host.close();
  }
}

async function analysis(ctx: Ctx) {
  const photos = join(ctx.dir, 'photos');
  mkdirSync(photos, { recursive: true });
  for (let i = 0; i < images; i++) {
    const n = SAMPLE_NAMES[i % SAMPLE_NAMES.length]!;
    copyFileSync(join(DEMO_DIR, n), join(photos, `${String(i).padStart(4, '0')}-${n}`));
  }
  const runs = [];
  for (const n of [1, 2, 3]) {
    const r = await analysisRun(ctx, n);
    console.error(
      `${n} worker(s): ${r.images} images in ${r.seconds} s, ${r.imagesPerSecond}/s, lost ${r.lost}, doubled ${r.doubled}`,
    );
    runs.push(r);
  }
  return {
    runs,
    lost: runs.reduce((a, r) => a + r.lost, 0),
    doubled: runs.reduce((a, r) => a + r.doubled, 0),
  };
}

/** A job of `count` empty items in a store (no dataset), planned and running. */
function fakeJob(store: Store, count: number): number {
  return store.write(() => {
    const id = store.jobs.create('analyze', null, {});
    store.jobs.transition(id, ['queued'], 'running');
    store.jobs.addItems(
      id,
      Array.from({ length: count }, (_, i) => String(i)),
    );
    store.jobs.setPlanned(id, count);
    return id;
  });
}

/** Per item: pg-boss fetch + complete, and our claim + commit transactions; SQLite's row claim + commit beside. */
async function queue(ctx: Ctx) {
  const count = 500;
  const db = await createDatabase(ctx.cluster.baseUrl, 'bench_queue');
  const store = openStore(db);
  const q = new ItemQueue(db, { leaseMs: 60_000 });
  await q.start();
  const jobId = fakeJob(store, count);
  let t = performance.now();
  await q.enqueue(jobId, store.jobs.unfinishedItems(jobId));
  const enqueueMs = performance.now() - t;
  let bossMs = 0;
  let rowsMs = 0;
  for (;;) {
    t = performance.now();
    const [d] = await q.fetch(jobId, 1);
    bossMs += performance.now() - t;
    if (!d) break;
    t = performance.now();
    const item = store.write(() => store.jobs.claimItem(d.itemId, 'bench', 60_000))!;
    commitItem(store, jobId, item, 'bench', { counter: 'analyzed' });
    rowsMs += performance.now() - t;
    t = performance.now();
    await q.complete(d);
    bossMs += performance.now() - t;
  }
  const lost = store.jobs.remaining(jobId);
  await q.close();
  store.close();
  // The same claim + commit on SQLite's row queue (today's engine), for scale.
  const sqlite = openStore(join(ctx.dir, 'queue.db'));
  const sid = fakeJob(sqlite, count);
  t = performance.now();
  for (;;) {
    const item = sqlite.write(() => sqlite.jobs.claim(sid, 'bench', 60_000));
    if (!item) break;
    commitItem(sqlite, sid, item, 'bench', { counter: 'analyzed' });
  }
  const sqliteMs = performance.now() - t;
  sqlite.close();
  const per = (ms: number) => +(ms / count).toFixed(3);
  return {
    items: count,
    enqueueMsPerItem: per(enqueueMs),
    pgBossFetchCompleteMsPerItem: per(bossMs),
    ourClaimCommitMsPerItem: per(rowsMs),
    postgresMsPerItem: per(bossMs + rowsMs),
    sqliteRowClaimCommitMsPerItem: per(sqliteMs),
    lost,
  };
}

/** The sections of this suite; another part of team mode adds its own (its key in the JSON). */
/**
 * The review API under 10 simulated reviewers at once (scripts/bench/team-review.ts, also runnable alone), on a
 * database of this run's cluster: p50 / p95 per method and whether any face was handed to two reviewers.
 */
async function review(ctx: Ctx): Promise<unknown> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(ROOT, 'scripts', 'bench', 'team-review.ts'),
      '10',
      '20',
    ],
    {
      env: { ...process.env, FACEINSIGHT_BENCH_PG: ctx.cluster.baseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`team-review exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as unknown;
}

const SECTIONS: Record<string, (ctx: Ctx) => Promise<unknown>> = { queue, analysis, review };

const bin = postgresBinDir();
if (!bin) {
  console.error(
    'bench team: PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install -y postgresql',
  );
  process.exit(2);
}
const cluster = await startCluster(bin);
const t = tempDir('fi-bench-team-');
const result: Record<string, unknown> = { suite: 'team', cores: cpus().length, images };
try {
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (wanted && !wanted.includes(name)) continue;
    console.error(`--- ${name}`);
    result[name] = await run({ cluster, dir: t.dir });
  }
  result.loadAverage = +loadavg()[0]!.toFixed(1);
  console.log(JSON.stringify(result));
} finally {
  cluster.stop();
  t.cleanup();
}
