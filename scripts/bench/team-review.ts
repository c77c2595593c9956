// `npm run bench -- team-review [reviewers] [seconds]`: the review API of one `faceinsight serve` on PostgreSQL
// (team mode) under N simulated reviewers (default 10) working at once for S seconds (default 30): each takes the
// next face (learning.next, a claim), edits two labels (labels.apply) and marks it reviewed (reviews.set).
// Prints p50 / p95 per method and checks no face was handed to two reviewers. Needs initdb / pg_ctl, or
// FACEINSIGHT_BENCH_PG=postgres://…/ (a server where it may create a database).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { openStore } from '../../src/main/store/index';
import { addUser } from '../../src/main/users';
import { startApp } from '../../src/main/app';
import { copySamples, ROOT, tempDir } from '../../test/helpers/fs';
import { seedFaces } from '../../test/helpers/gallery-seed';
import { createDatabase, postgresBinDir, startCluster } from '../../test/helpers/postgres';

const REVIEWERS = Number(process.argv[2] ?? 10);
const SECONDS = Number(process.argv[3] ?? 30);
const FACES = 3_000;

const t = tempDir('fi-bench-team-');
let stopCluster = () => {};
let base = process.env.FACEINSIGHT_BENCH_PG;
if (!base) {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL binaries (initdb, pg_ctl): apt-get install postgresql');
  const cluster = await startCluster(bin);
  base = cluster.baseUrl;
  stopCluster = () => cluster.stop();
}
const db = await createDatabase(base, 'bench_team');

// A dataset of the six demo photos with FACES generated faces, and one token per reviewer.
const photos = join(t.dir, 'photos');
copySamples(photos);
const setup = await startApp({ dataDir: join(t.dir, 'data'), dbPath: db, mode: 'browser' });
const created = await setup.call('datasets.create', { root: photos });
if (!created.ok) throw new Error(created.error.message);
const { dataset, job } = created.value as { dataset: { id: number }; job: { id: number } };
for (;;) {
  const j = await setup.call('jobs.get', { id: job.id });
  if (j.ok && ['done', 'failed'].includes((j.value as { state: string }).state)) break;
  await new Promise((r) => setTimeout(r, 100));
}
await setup.close();
const store = openStore(db);
seedFaces(store, dataset.id, FACES);
const tokens = Array.from(
  { length: REVIEWERS },
  (_, i) => addUser(store, `reviewer${i + 1}`, 'reviewer').token,
);
store.close();

// The real server, in its own process, as a team would run it.
const child = spawn(
  process.execPath,
  ['--import', 'tsx', join(ROOT, 'src/main/cli.ts'), 'serve', '--data-dir', join(t.dir, 'data'), '--db', db],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
);
const origin = await new Promise<string>((resolve) => {
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (/^http:\/\/127\.0\.0\.1:\d+\/$/.test(l.trim())) resolve(new URL(l.trim()).origin);
  });
});

const times = new Map<string, number[]>();
async function api(method: string, req: unknown, token: string): Promise<unknown> {
  const s = performance.now();
  const res = await fetch(`${origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(req),
  });
  const body = (await res.json()) as { ok: boolean; value: unknown; error?: { message: string } };
  const ms = performance.now() - s;
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
  (times.get(method) ?? times.set(method, []).get(method)!).push(ms);
  return body.value;
}

const handed = new Map<number, string[]>();
const end = Date.now() + SECONDS * 1000;
const keys = ['Smiling', 'Eyeglasses', 'Bangs', 'Young', 'Male', 'Wavy_Hair'];
await Promise.all(
  tokens.map(async (token, r) => {
    for (let i = 0; Date.now() < end; i++) {
      const { item } = (await api('learning.next', { datasetId: dataset.id, order: 'useful' }, token)) as {
        item: { face: { id: number } } | null;
      };
      if (!item) return;
      const id = item.face.id;
      handed.set(id, [...(handed.get(id) ?? []), `reviewer${r + 1}`]);
      for (const k of [keys[(r + i) % keys.length]!, keys[(r + i + 3) % keys.length]!]) {
        await api('labels.apply', { faceId: id, changes: [{ key: k, value: (r + i) % 2 ? 1 : -1 }] }, token);
      }
      await api('reviews.set', { faceIds: [id], status: 'reviewed' }, token);
    }
  }),
);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
stopCluster();
t.cleanup();

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const all = [...times.values()].flat();
const rows = [...times.entries(), ['all', all] as [string, number[]]].map(([method, xs]) => ({
  method,
  requests: xs.length,
  p50: Number(pct(xs, 0.5).toFixed(1)),
  p95: Number(pct(xs, 0.95).toFixed(1)),
}));
console.error(`${REVIEWERS} reviewers, ${SECONDS} s, one serve on PostgreSQL (team mode), ${FACES} faces`);
for (const r of rows) {
  console.error(
    `  ${r.method.padEnd(14)} ${String(r.requests).padStart(6)} requests  p50 ${r.p50} ms  p95 ${r.p95} ms`,
  );
}
const doubled = [...handed.values()].filter((v) => v.length > 1).length;
console.error(`  faces reviewed: ${handed.size}, handed to two reviewers: ${doubled}`);
console.log(
  JSON.stringify({
    suite: 'team-review',
    reviewers: REVIEWERS,
    seconds: SECONDS,
    requestsPerSecond: Number((all.length / SECONDS).toFixed(1)),
    facesReviewed: handed.size,
    handedTwice: doubled,
    methods: rows,
  }),
);
