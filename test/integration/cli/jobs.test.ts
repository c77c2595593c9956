// Jobs that cannot wedge a database (issue #27, severe 1): a huge annotation line is refused in bounded memory,
// an item that kills its job process is given up after 3 claims, a command runs only its own jobs, and
// `faceinsight jobs list | cancel | retry` handles what earlier commands left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { MAX_LINE_CHARS } from '../../../src/main/datasets/formats/text';
import { MAX_ITEM_ATTEMPTS } from '../../../src/main/jobs/runner';
import type { Job } from '../../../src/shared/api';
import { startApp } from '../../../src/main/app';
import { writeImage } from '../../helpers/datasets/generate';
import { call, waitForJob } from '../../helpers/app';
import { ROOT, tempDir } from '../../helpers/fs';

const CLI = [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'src', 'main', 'cli.ts')];
let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('fi-cli-jobs-'));
});
afterAll(() => cleanup());

/** Runs the CLI to its end; `heapMb` caps the V8 heap of the CLI and of its job process (NODE_OPTIONS). */
function cli(args: string[], heapMb?: number) {
  const env = { ...process.env };
  if (heapMb) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --max-old-space-size=${heapMb}`;
  return spawnSync(process.execPath, [...CLI, ...args, '--data-dir', join(dir, 'data')], {
    cwd: ROOT,
    encoding: 'utf8',
    env,
    // A liveness bound: the old code never exited here.
    timeout: 300_000,
  });
}

interface JobRow {
  id: number;
  kind: string;
  state: string;
  done: number;
  total: number;
  failed: number;
  error: string | null;
}

function jobs(db: string): JobRow[] {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .prepare(`SELECT id, kind, state, done, total, failed, error FROM jobs ORDER BY id`)
      .all() as JobRow[];
  } finally {
    d.close();
  }
}

async function folder(name: string, n: number, size = 48): Promise<string> {
  const root = join(dir, name);
  for (let i = 0; i < n; i++) await writeImage(join(root, `face_${i + 1}.jpg`), i, size);
  return root;
}

describe('faceinsight import with hostile annotations', () => {
  it('refuses a 30 MB ExpW line at label.lst:1 with a 64 MB heap, and exits', async () => {
    const root = await folder('expw', 1);
    const list = join(dir, 'label.lst');
    // `face_1.jpg ` + `0 ` x 15,000,000, then a good row: the original report used 240 MB and saw ~5 GB of heap.
    const fd = openSync(list, 'w');
    writeSync(fd, 'face_1.jpg ');
    const chunk = '0 '.repeat(1_000_000);
    for (let i = 0; i < 15; i++) writeSync(fd, chunk);
    writeSync(fd, '\nface_1.jpg 0 1 2 40 41 80.9 3\n');
    closeSync(fd);
    const db = join(dir, 'expw.db');
    const r = cli(['import', root, '--format', 'expw', '--annotations', list, '--db', db], 64);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `error: label.lst:1:1: line too long: 30000011 characters; the limit is ${MAX_LINE_CHARS}`,
    );
    expect(r.stderr).not.toMatch(/heap out of memory/);
    const annotations = jobs(db).find((j) => j.kind === 'annotations')!;
    expect(annotations.state).toBe('failed');
    expect(annotations.error).toMatch(/^label\.lst:1:1: line too long/);
  }, 300_000);
});

describe('an item that kills its job process', () => {
  it(`is given up after ${MAX_ITEM_ATTEMPTS} claims and its job fails with the reason; jobs retry runs it again`, async () => {
    const root = await folder('json', 1);
    // A 30 MB faces.json read whole (under MAX_WHOLE_JSON_BYTES): with a 64 MB heap, the job process runs out of
    // memory on it every time, a real crash, as the huge line did before readers had a limit.
    const face = JSON.stringify({
      image: 'face_1.jpg',
      face: { idx: 0, source: 'imported', box: [0, 0, 48, 48] },
      values: { gender: { value: 'Female', source: 'human' } },
    });
    const file = join(dir, 'faces.json');
    const fd = openSync(file, 'w');
    writeSync(fd, '{"format":"faceinsight-faces","version":1,"faces":[' + face);
    const block = `,${face}`.repeat(10_000);
    for (let size = 0; size < 30_000_000; size += block.length) writeSync(fd, block);
    writeSync(fd, ']}');
    closeSync(fd);
    const db = join(dir, 'json.db');
    const r = cli(['import', root, '--format', 'json', '--annotations', file, '--db', db], 64);
    expect(r.status, r.stderr).toBe(1);
    const reason = `item 1-import failed ${MAX_ITEM_ATTEMPTS} times: the job process stopped while processing it`;
    expect(r.stderr).toContain(`error: ${reason}`);
    expect(r.stderr.match(/heap out of memory/g)).toHaveLength(MAX_ITEM_ATTEMPTS);
    const failed = jobs(db).find((j) => j.kind === 'annotations')!;
    expect(failed).toMatchObject({ state: 'failed', error: reason, failed: 1 });

    const listed = cli(['jobs', 'list', '--db', db, '--json']);
    expect(listed.status, listed.stderr).toBe(0);
    const items = (JSON.parse(listed.stdout) as { items: JobRow[] }).items;
    expect(items.map((j) => [j.id, j.kind, j.state, j.error])).toEqual([
      [failed.id, 'annotations', 'failed', reason],
      [failed.id - 1, 'import', 'done', null],
    ]);
    const table = cli(['jobs', '--db', db]);
    expect(table.stdout).toContain(`${failed.id}\tannotations\t1\tfailed\t1/2\t1  ${reason}`);

    // The file fixed, a retry runs the failed item again from attempt 1, in this command, to its end.
    writeFileSync(file, `{"format":"faceinsight-faces","version":1,"faces":[${face}]}`);
    const retried = cli(['jobs', 'retry', String(failed.id), '--db', db]);
    expect(retried.status, retried.stderr).toBe(0);
    expect(retried.stdout).toContain(`job ${failed.id} (annotations) done; 2/2 done, 0 failed`);
    expect(jobs(db).find((j) => j.id === failed.id)).toMatchObject({ state: 'done', failed: 0, error: null });
    // Nothing left to retry or cancel: exit 2 with the reason.
    const again = cli(['jobs', 'retry', String(failed.id), '--db', db]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`job ${failed.id} is done`);
    expect(cli(['jobs', 'cancel', '999', '--db', db]).status).toBe(2);
  }, 300_000);
});

/** Starts a CLI command and kill -9s it (CLI and job process) once job `jobId` has `minDone` items done. */
async function killMidway(args: string[], db: string, jobId: number, minDone: number): Promise<void> {
  const child = spawn(process.execPath, [...CLI, ...args, '--data-dir', join(dir, 'data')], {
    cwd: ROOT,
    stdio: 'ignore',
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    const poll = setInterval(() => {
      let done: number;
      try {
        done = jobs(db).find((j) => j.id === jobId)?.done ?? 0;
      } catch {
        return; // the database is not created yet
      }
      if (done >= minDone) {
        clearInterval(poll);
        process.kill(-child.pid!, 'SIGKILL');
        child.on('exit', () => resolve());
      }
    }, 10);
  });
}

describe('a command and the jobs earlier commands left', () => {
  it('leaves a killed import alone, names it in one line; the app leaves it too; jobs cancel, --resume', async () => {
    const big = join(dir, 'many');
    mkdirSync(big);
    for (let i = 0; i < 200; i++)
      await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: i, g: 90, b: 160 } } })
        .jpeg({ quality: 90 })
        .toFile(join(big, `p${String(i).padStart(3, '0')}.jpg`));
    const db = join(dir, 'left.db');
    await killMidway(['import', big, '--db', db], db, 1, 3);
    const [left] = jobs(db);
    expect(left).toMatchObject({ id: 1, kind: 'import', state: 'running' });
    expect(left!.done).toBeLessThan(200);

    // An unrelated import on the same database runs its own job only, and says what it left alone.
    const other = await folder('other', 2);
    const r = cli(['import', other, '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'job 1 (import) was left running by an earlier command; `faceinsight jobs retry 1` or pass --resume to continue it',
    );
    const after = jobs(db);
    expect(after[0]).toEqual(left);
    expect(after.at(-1)).toMatchObject({ kind: 'import', state: 'done', done: 2, total: 2 });

    // The app (or serve) resumes its own queue, not a command's job: its rescan runs, job 1 stays put.
    const host = await startApp({ dataDir: join(dir, 'data'), dbPath: db, mode: 'browser' });
    try {
      const rescan = await call<Job>(host, 'datasets.rescan', { id: 2 });
      expect(await waitForJob(host, rescan.id)).toMatchObject({ state: 'done' });
    } finally {
      await host.close();
    }
    expect(jobs(db)[0]).toEqual(left);

    const cancelled = cli(['jobs', 'cancel', '1', '--db', db]);
    expect(cancelled.status, cancelled.stderr).toBe(0);
    expect(jobs(db)[0]).toMatchObject({ state: 'cancelled', done: left!.done });

    // A retry killed in turn leaves the job running again; --resume on an unrelated command finishes it.
    await killMidway(['jobs', 'retry', '1', '--db', db], db, 1, left!.done + 3);
    expect(jobs(db)[0]).toMatchObject({ state: 'running' });
    const resumed = cli(['import', other, '--db', db, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resuming job 1 (import), left running by an earlier command');
    expect(jobs(db)[0]).toMatchObject({ state: 'done', done: 200, total: 200, failed: 0 });
  }, 300_000);
});
