// kill -9 of `faceinsight analyze` mid-run, then --resume: every image analysed once, same rows as a clean run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { DEMO_DIR, ROOT, tempDir } from '../../helpers/fs';

const CLI = [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'src', 'main', 'cli.ts')];
let dir: string;
let folder: string;
let cleanup: () => void;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  folder = join(dir, 'photos');
  mkdirSync(folder);
  // 60 images: the six demo photos at ten different small sizes (fast to analyse, every one with faces).
  for (let i = 0; i < 60; i++) {
    const src = join(DEMO_DIR, `sample${(i % 6) + 1}.jpg`);
    await sharp(src)
      .resize({ width: 560 + 8 * Math.floor(i / 6) })
      .jpeg({ quality: 85 })
      .toFile(join(folder, `img-${String(i).padStart(2, '0')}.jpg`));
  }
}, 120_000);
afterAll(() => cleanup());

function counts(db: string) {
  const d = new Database(db, { readonly: true });
  const q = (sql: string) => d.prepare(sql).pluck().get() as number;
  const r = {
    images: q(`SELECT count(*) FROM images`),
    analysed: q(`SELECT count(*) FROM images WHERE analysis_key IS NOT NULL`),
    faces: q(`SELECT count(*) FROM faces`),
    predictions: q(`SELECT count(*) FROM predictions`),
    masks: q(`SELECT count(*) FROM masks`),
    embeddings: q(`SELECT count(*) FROM embeddings`),
    duplicateFaces: q(
      `SELECT count(*) FROM (SELECT image_id, x, y, count(*) n FROM faces GROUP BY 1, 2, 3 HAVING n > 1)`,
    ),
    integrity: d.pragma('integrity_check', { simple: true }) as string,
  };
  d.close();
  return r;
}

const run = (db: string, ...args: string[]) =>
  spawnSync(
    process.execPath,
    [
      ...CLI,
      'analyze',
      folder,
      '--db',
      db,
      '--data-dir',
      join(dir, 'data'),
      '--ep',
      'cpu',
      '--json',
      ...args,
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 600_000,
    },
  );

describe('faceinsight analyze --resume', () => {
  it('recovers from kill -9 with the same rows as a clean run', async () => {
    const clean = join(dir, 'clean.db');
    const first = run(clean);
    expect(first.status, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout.trim().split('\n').at(-1)!) as {
      images: number;
      faces: number;
      errors: number;
    };
    expect(summary).toMatchObject({ images: 60, errors: 0 });
    const expected = counts(clean);
    expect(expected.faces).toBe(summary.faces);

    const crashed = join(dir, 'crashed.db');
    const child = spawn(
      process.execPath,
      [...CLI, 'analyze', folder, '--db', crashed, '--data-dir', join(dir, 'data'), '--ep', 'cpu', '--json'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    // Kill the whole process group (CLI and its job process) once some images are done.
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const analysed = [...out.matchAll(/"kind":"analyze"[^\n]*"done":(\d+)/g)].map((m) => Number(m[1]));
        if ((analysed.at(-1) ?? 0) >= 15) {
          process.kill(-child.pid!, 'SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    // Wait until no process of the killed group is left (the job process may outlive the CLI by a moment).
    const groupAlive = () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (groupAlive()) await new Promise((r) => setTimeout(r, 20));
    const mid = counts(crashed);
    expect(mid.analysed).toBeGreaterThanOrEqual(15);
    expect(mid.analysed).toBeLessThan(60);

    const resumed = run(crashed, '--resume');
    expect(resumed.status, resumed.stderr).toBe(0);
    const after = counts(crashed);
    expect(after).toEqual(expected);

    // Nothing left: --resume again reports 0 images and exits 0.
    const again = run(crashed, '--resume');
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toMatchObject({ images: 0 });
  });

  it('exits 2 on bad flags', () => {
    const r = spawnSync(process.execPath, [...CLI, 'analyze', folder, '--ep', 'tpu'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--ep/);
  });
});
