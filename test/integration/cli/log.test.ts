// The log file: a real `serve` and a real `import --json` write JSON lines to <data dir>/logs/faceinsight.log while
// stdout keeps only the URL line / the JSON summary; a full log is rotated when the next session starts.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_NAME, rotateLogs } from '../../../src/main/log';
import { copySamples, ROOT, tempDir } from '../../helpers/fs';

const CLI = ['--import', 'tsx', join(ROOT, 'src/main/cli.ts')];
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function fresh(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

interface Line {
  level: number;
  time: string;
  proc: string;
  pid: number;
  msg: string;
  [k: string]: unknown;
}
const readLog = (dataDir: string): Line[] =>
  readFileSync(join(dataDir, 'logs', LOG_NAME), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

describe('log file', () => {
  it('serve logs its start and stop to the file; stdout carries only the URL', async () => {
    const dataDir = fresh();
    const child = spawn(process.execPath, [...CLI, 'serve', '--data-dir', dataDir], { cwd: ROOT });
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString();
        const m = /^(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)\n/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code} before printing its URL`)));
    });
    const started = readLog(dataDir);
    expect(started).toEqual([
      expect.objectContaining({
        level: 30,
        proc: 'cli',
        pid: child.pid,
        msg: 'start',
        mode: 'browser',
        dataDir,
      }),
    ]);
    expect(Date.parse(started[0]!.time)).not.toBeNaN();
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toBe(`${url}\n`);
    expect(readLog(dataDir).map((l) => l.msg)).toEqual(['start', 'stop']);
  });

  it('import --json logs the CLI and its job process; stdout is the JSON summary alone', () => {
    const dataDir = fresh();
    const folder = join(fresh(), 'photos');
    copySamples(folder, ['sample1.jpg', 'sample2.jpg']);
    const r = spawnSync(process.execPath, [...CLI, 'import', folder, '--data-dir', dataDir, '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'done', added: 2, error: null });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const lines = readLog(dataDir);
    expect(lines[0]).toMatchObject({
      proc: 'cli',
      msg: 'start',
      argv: ['import', folder, '--data-dir', dataDir, '--json'],
    });
    expect(lines).toContainEqual(expect.objectContaining({ proc: 'jobs', msg: 'job process start' }));
    expect(lines.at(-1)).toMatchObject({ proc: 'cli', msg: 'stop' });
  });

  it('rotates a full log to faceinsight.1.log when a session starts, keeping three', () => {
    const dir = join(fresh(), 'logs');
    mkdirSync(dir);
    const nth = (i: number) => join(dir, `faceinsight.${i}.log`);
    for (let round = 1; round <= 4; round++) {
      writeFileSync(join(dir, LOG_NAME), `round ${round}\n`.padEnd(64, '.'));
      rotateLogs(dir, 64);
    }
    expect(existsSync(join(dir, LOG_NAME))).toBe(false);
    expect([1, 2, 3].map((i) => readFileSync(nth(i), 'utf8').slice(0, 7))).toEqual([
      'round 4',
      'round 3',
      'round 2',
    ]);
    expect(existsSync(nth(4))).toBe(false);
    writeFileSync(join(dir, LOG_NAME), 'small\n');
    rotateLogs(dir);
    expect(readFileSync(join(dir, LOG_NAME), 'utf8')).toBe('small\n');
  });
});
