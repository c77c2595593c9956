// `npm run models` (scripts/models.ts) on a scratch copy: converts once, then does nothing; bad sources fail in one line.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../../../', import.meta.url));
const tsx = join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const script = join(repo, 'scripts', 'models.ts');
const sourceDir = join(repo, 'node_modules', '@vladmandic', 'human-models', 'models');

let root: string;
let srcDir: string;

function run() {
  const r = spawnSync(process.execPath, [tsx, script, '--root', root], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeEach(() => {
  // The smallest bundled model keeps this quick: emotion (about 0.8 MB).
  root = mkdtempSync(join(tmpdir(), 'fi-models-'));
  srcDir = join(root, 'node_modules', '@vladmandic', 'human-models', 'models');
  mkdirSync(srcDir, { recursive: true });
  mkdirSync(join(root, 'resources', 'models'), { recursive: true });
  for (const f of ['emotion.json', 'emotion.bin']) copyFileSync(join(sourceDir, f), join(srcDir, f));
  copyFileSync(
    join(repo, 'resources', 'models', 'emotion.json'),
    join(root, 'resources', 'models', 'emotion.json'),
  );
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('scripts/models.ts', () => {
  it('converts a model once, then finds it up to date', () => {
    const first = run();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('models: 1 converted, 0 up to date');
    const onnx = join(root, 'resources', 'models', 'emotion.onnx');
    expect(existsSync(onnx)).toBe(true);
    const cache = JSON.parse(readFileSync(join(root, 'resources', 'models', '.cache.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(root, 'resources', 'models', 'emotion.json'), 'utf8'));
    expect(cache.emotion.sha256).toBe(manifest.source.sha256);

    const second = run();
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('models: 0 converted, 1 up to date');
  });

  it('converts again when the .onnx is missing', () => {
    expect(run().code).toBe(0);
    rmSync(join(root, 'resources', 'models', 'emotion.onnx'));
    expect(run().stdout).toContain('models: 1 converted, 0 up to date');
  });

  it('fails in one line with exit 1 when the source model is missing', () => {
    rmSync(join(srcDir, 'emotion.json'));
    const r = run();
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^models: Model "emotion": cannot read .*emotion\.json \(ENOENT\)/);
  });

  it('fails in one line with exit 1 when a weight shard is truncated', () => {
    truncateSync(join(srcDir, 'emotion.bin'), 1000);
    const r = run();
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('weight shards hold 1000 bytes, the manifest describes');
  });

  it('fails in one line with exit 1 when the source differs from the manifest', () => {
    const path = join(srcDir, 'emotion.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"format"', ' "format"'));
    const r = run();
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/does not match .*emotion\.json .*reinstall @vladmandic\/human-models@3\.0\.4/);
  });
});
