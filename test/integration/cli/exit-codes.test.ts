// `faceinsight` exit codes as README and --help state them: 0 ok, 1 the data has problems, 2 usage or unreadable
// input (a FIFO, /dev/null, an empty folder, a label file that cannot be read).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRafdb } from '../../helpers/datasets/generate';
import { ROOT, tempDir } from '../../helpers/fs';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main/cli.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });

describe('faceinsight exit codes', () => {
  const t = tempDir('fi-exit-');
  let root = '';
  let list = '';
  const common = () => ['--data-dir', join(t.dir, 'data')];
  const importRafdb = (annotations: string) =>
    cli(['import', root, '--format', 'rafdb', '--annotations', annotations, ...common()]);

  beforeAll(async () => {
    ({ root, list } = await makeRafdb(t.dir));
  });
  afterAll(() => t.cleanup());

  it('2: worker usage mistakes, before it connects anywhere', () => {
    for (const [args, why] of [
      [['--db', join(t.dir, 'local.db')], /--db \(or FACEINSIGHT_DB\) must be a postgres:\/\/ URL/],
      [
        ['--db', 'postgres://u@127.0.0.1:1/x', '--concurrency', '0'],
        /--concurrency: expected a whole number/,
      ],
      [
        ['--db', 'postgres://u@127.0.0.1:1/x', '--root-map', 'a=/b'],
        /--root-map: both folders must be absolute/,
      ],
      [['--db', 'postgres://u@127.0.0.1:1/x', '--ep', 'tpu'], /--ep: expected one of auto, cpu/],
      [
        ['--db', 'postgres://u@127.0.0.1:1/x', '--server', 'http://s/'],
        /--server needs a user token in FACEINSIGHT_TOKEN/,
      ],
      [
        ['--db', 'postgres://u@127.0.0.1:1/x', '--server', 'http://s/', '--root-map', '/a=/b'],
        /--server and --root-map: give one/,
      ],
    ] as const) {
      const r = cli(['worker', ...args, ...common()]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(why);
    }
  });

  it('says what each code means in --help', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Exit codes: 0 ok; 1 the data has problems \(a refused annotation file/);
    expect(r.stdout).toMatch(
      /2 usage or unreadable input \(bad flags, .*\n.*\(a FIFO, \/dev\/null\), an empty folder/,
    );
  });

  it('0: a readable, valid label list', () => {
    const r = importRafdb(list);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('1: a refused label list (only blank lines)', () => {
    const blank = join(t.dir, 'blank.txt');
    writeFileSync(blank, '\n\n');
    const r = importRafdb(blank);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: blank\.txt:1:1: no rows/);
  });

  it('2: /dev/null, a FIFO or an empty folder as --annotations, before any job runs', () => {
    const fifo = join(t.dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const empty = join(t.dir, 'empty');
    mkdirSync(empty);
    for (const [input, why] of [
      ['/dev/null', /not a regular file or folder/],
      [fifo, /not a regular file or folder/],
      [empty, /empty folder/],
    ] as const) {
      const r = importRafdb(input);
      expect(r.status, input).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stdout).not.toMatch(/annotations (done|failed)/);
    }
  });

  it('2: a label file inside the --annotations folder that is a FIFO (the job cannot read it)', () => {
    const folder = join(t.dir, 'labels');
    mkdirSync(folder);
    expect(spawnSync('mkfifo', [join(folder, 'list_patition_label.txt')]).status).toBe(0);
    const r = importRafdb(folder);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/list_patition_label\.txt/);
  });

  it('2: a --rules file that is a FIFO is refused instead of waiting for a writer', () => {
    const fifo = join(t.dir, 'rules-fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = cli(['check', '--rules', fifo, ...common()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a regular file/);
  });

  it('2: an unknown flag on any command, said in plain words (no stack, no JSON log line on the terminal)', () => {
    for (const command of [
      'analyze',
      'audit',
      'check',
      'doctor',
      'jobs',
      'learn',
      'import',
      'export',
      'serve',
    ]) {
      const r = cli([command, '--bogus', ...common()]);
      expect(r.status, command).toBe(2);
      expect(r.stderr, command).toMatch(new RegExp(`^faceinsight ${command}: Unknown option '--bogus'`));
      expect(r.stderr, command).not.toMatch(/"level"|\n\s+at /);
    }
    const extra = cli(['doctor', 'now', ...common()]);
    expect(extra.status).toBe(2);
    expect(extra.stderr).toMatch(/doctor: unexpected argument "now"/);
  });
});
