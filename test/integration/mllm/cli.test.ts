// `faceinsight audit-mllm` against the scripted chat-completions server (a test double of the remote model):
// saving an endpoint with the key from an environment variable, the audit, and the report as JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Dataset, Job, MllmReport } from '../../../src/shared/api';
import { startApp } from '../../../src/main/app';
import { call, waitForJob } from '../../helpers/app';
import { seedWholeImageFaces } from '../../helpers/faces';
import { ROOT, tempDir } from '../../helpers/fs';
import {
  faceColour,
  startScriptedMllmServer,
  type ScriptedMllmServer,
} from '../../helpers/scripted-mllm-server';

const CLI = [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'src', 'main', 'cli.ts')];
const KEY = 'sk-cli-0a1b2c3d4e5f-secret';
let dir: string;
let cleanup: () => void;
let server: ScriptedMllmServer;

/** Runs the CLI without blocking this process (the scripted server answers from here). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args, '--data-dir', join(dir, 'data')], {
      cwd: ROOT,
      env: { ...process.env, FI_TEST_MLLM_KEY: KEY },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('fi-mllm-cli-'));
  const photos = join(dir, 'photos');
  mkdirSync(photos, { recursive: true });
  for (let i = 0; i < 3; i++) {
    await sharp({ create: { width: 40, height: 40, channels: 3, background: faceColour(i) } })
      .jpeg({ quality: 95 })
      .toFile(join(photos, `f${i}.jpg`));
  }
  const host = await startApp({ dataDir: join(dir, 'data'), mode: 'browser' });
  try {
    const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', { root: photos });
    await waitForJob(host, created.job.id);
    const faces = seedWholeImageFaces(host.info.dbPath, created.dataset.id);
    for (const [i, g] of ['Male', 'Female', 'Female'].entries())
      await call(host, 'labels.set', { faceId: faces[i], key: 'gender', value: g });
    await call(host, 'reviews.set', { faceIds: faces, status: 'reviewed' });
  } finally {
    await host.close();
  }
  // Faces 0 and 1 right, face 2 wrong.
  server = await startScriptedMllmServer((r) => ({ text: r.face === 1 ? 'female' : 'male' }));
});
afterAll(async () => {
  await server.close();
  cleanup();
});

describe('faceinsight audit-mllm', () => {
  it('saves an endpoint, audits the reviewed faces and prints the report as JSON', async () => {
    const saved = await cli([
      'audit-mllm',
      '--save-endpoint',
      'local',
      '--url',
      server.url,
      '--model',
      'cli-vl',
      '--key-env',
      'FI_TEST_MLLM_KEY',
      '--image-size',
      '64',
    ]);
    expect(saved.stderr).toContain('saved endpoint local: cli-vl');
    expect(saved.code).toBe(0);
    const run = await cli(['audit-mllm', '--tasks', 'gender', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { jobId: number; report: MllmReport };
    expect(out.jobId).toBeGreaterThan(0);
    const gender = out.report.models[0]!.keys.find((k) => k.key === 'gender')!;
    expect(gender).toMatchObject({ n: 3, parsed: 3, accuracy: 2 / 3, unparsedRate: 0 });
    expect(server.requests).toHaveLength(3);
    expect(server.requests.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);

    const text = await cli(['audit-mllm', '--report']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('mllm:cli-vl: 3 faces, 3 answers');
    expect(text.stdout).toContain('inconsistent: 0 of 3 faces (0.0%) break an error rule');
    expect(text.stdout).toMatch(/ {2}gender\s+3\s+66\.7%\s+75\.0%\s+66\.7%\s+0\.0%\s+0\n/);
    const again = await cli(['audit-mllm', '--report', '--json']);
    expect(JSON.parse(again.stdout).report).toEqual(out.report);
    expect(server.requests).toHaveLength(3);
    for (const f of readdirSync(join(dir, 'data', 'logs')))
      expect(readFileSync(join(dir, 'data', 'logs', f), 'utf8')).not.toContain(KEY);
  });

  it('refuses an unknown task with exit 2', async () => {
    const r = await cli(['audit-mllm', '--tasks', 'gender,hair']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--tasks: unknown task "hair"');
  });
});
