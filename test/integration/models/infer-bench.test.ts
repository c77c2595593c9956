// The travelling inference bench: --prepare writes real model inputs, and the built entry runs with onnxruntime-node only.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchManifest } from '../../../scripts/bench/infer/format';
import { ROOT, tempDir } from '../../helpers/fs';

const ENTRY = join(ROOT, 'out', 'bench', 'infer.js');
let dir: { dir: string; cleanup: () => void };

beforeAll(() => {
  dir = tempDir('fi-infer-');
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'scripts', 'bench.mjs'), 'infer', '--prepare', dir.dir, '--max-items', '2'],
    { cwd: ROOT, encoding: 'utf8', timeout: 240_000 },
  );
  expect(r.status, r.stderr).toBe(0);
}, 300_000);
afterAll(() => dir.cleanup());

describe('bench -- infer', () => {
  it('writes every bundled model with uint8 inputs of its input size and a manifest', () => {
    const m = JSON.parse(readFileSync(join(dir.dir, 'manifest.json'), 'utf8')) as BenchManifest;
    expect(m.models.map((x) => x.id).sort()).toEqual([
      'blazeface',
      'emotion',
      'faceapi-agegender',
      'faceapi-expression',
      'facemesh',
      'faceres',
      'gear',
      'mobilefacenet',
      'selfie',
    ]);
    for (const x of m.models) {
      const per = x.input.shape.reduce((a, b) => a * b, 1);
      expect(statSync(join(dir.dir, x.crops)).size, x.id).toBe(per * x.items);
      expect(statSync(join(dir.dir, x.file)).size, x.id).toBeGreaterThan(100_000);
    }
    const emotion = m.models.find((x) => x.id === 'emotion')!;
    expect(emotion.input.shape).toEqual([64, 64, 1]);
    expect(emotion.normalisation).toMatchObject({ scale: 2 / 255, offset: -1 });
    expect(m.models.find((x) => x.id === 'faceres')!.normalisation).toMatchObject({ scale: 1, offset: 0 });
  });

  it('builds one file that imports only Node built-ins and onnxruntime-node', () => {
    const code = readFileSync(ENTRY, 'utf8');
    const specifiers = [...code.matchAll(/(?:from\s+|import\(|require\()\s*["']([^"']+)["']/g)].map(
      (x) => x[1]!,
    );
    const outside = specifiers.filter((s) => !s.startsWith('node:') && s !== 'onnxruntime-node');
    expect(outside).toEqual([]);
    expect(code).toContain('"onnxruntime-node"');
  });

  it('runs on CPU, and names a GPU provider that cannot start instead of failing', () => {
    const r = spawnSync(
      process.execPath,
      [
        ENTRY,
        '--inputs',
        dir.dir,
        '--ep',
        'webgpu,cpu',
        '--batches',
        '1,2',
        '--runs',
        '1',
        '--models',
        'emotion,gear',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const result = JSON.parse(lines.at(-1)!) as {
      rows: { model: string; batch: number; ep: string; msPerBatch: number; facesPerSecond: number }[];
      unusable: Record<string, string>;
    };
    const cpu = result.rows.filter((x) => x.ep === 'cpu');
    expect(cpu.map((x) => `${x.model}@${x.batch}`)).toEqual(['emotion@1', 'emotion@2', 'gear@1', 'gear@2']);
    for (const x of cpu) expect(x.msPerBatch).toBeGreaterThan(0);
    const gpu = result.rows.filter((x) => x.ep === 'webgpu');
    if (result.unusable.webgpu) {
      expect(gpu).toEqual([]);
      expect(r.stdout).toMatch(
        /webgpu session failed to create: .+\n {2}hint: Linux: install the Vulkan loader/,
      );
    } else {
      expect(gpu).toHaveLength(4);
    }
  });

  it('refuses a folder that was not prepared, saying what it needs', () => {
    const r = spawnSync(process.execPath, [ENTRY, '--inputs', join(dir.dir, 'models')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read .*manifest\.json/);
  });
});
