// settings.get / settings.set: defaults, validation, an atomic file in the data dir, the cached EP decision.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Res } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { tempDir } from '../../helpers/fs';
import { call, startTestApp } from '../../helpers/app';

let host: AppHost;
let cleanup: () => void;
let dataDir: string;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  dataDir = join(t.dir, 'data');
  host = await startTestApp(dataDir);
});
afterAll(async () => {
  await host.close();
  cleanup();
});

describe('settings', () => {
  it('starts from the defaults with no provider decided yet', async () => {
    const res = await call<Res<'settings.get'>>(host, 'settings.get', {});
    expect(res.settings).toEqual({ ep: 'auto', thresholds: {}, theme: 'system', views: [] });
    expect(res.ep).toEqual({ active: null, reason: null, at: null, models: [] });
  });

  it('merges a change, writes it to settings.json and reads it back', async () => {
    await call(host, 'settings.set', { theme: 'light', thresholds: { Smiling: 0.7 } });
    await call(host, 'settings.set', { views: [{ name: 'to check', query: { hasViolations: true } }] });
    const file = JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as unknown;
    expect(file).toEqual({
      ep: 'auto',
      theme: 'light',
      thresholds: { Smiling: 0.7 },
      views: [{ name: 'to check', query: { hasViolations: true } }],
    });
    const res = await call<Res<'settings.get'>>(host, 'settings.get', {});
    expect(res.settings.theme).toBe('light');
  });

  it('refuses an invalid value and keeps the file as it was', async () => {
    const before = readFileSync(join(dataDir, 'settings.json'), 'utf8');
    await expect(call(host, 'settings.set', { thresholds: { Smiling: 2 } })).rejects.toMatchObject({
      code: 'invalid_request',
      where: { field: 'thresholds.Smiling' },
    });
    await expect(call(host, 'settings.set', { ep: 'tpu' })).rejects.toMatchObject({ where: { field: 'ep' } });
    expect(readFileSync(join(dataDir, 'settings.json'), 'utf8')).toBe(before);
  });

  it('reports the newest execution-provider decision the runtime cached', async () => {
    const decision = (provider: string, checkedAt: number) => ({
      provider,
      requested: 'auto',
      reason: `${provider} chosen`,
      checkedAt,
    });
    const model = (modelId: string, provider: string, gpu: string) => ({
      modelId,
      hash: 'f'.repeat(64),
      provider,
      reason: `${modelId} on ${provider}`,
      checkedAt: 1500,
      gpu,
    });
    writeFileSync(
      join(dataDir, 'ep.json'),
      JSON.stringify({
        version: 1,
        machines: { a: decision('cpu', 1000), b: decision('webgpu', 2000) },
        // Per machine: machine a's entry and machine b's decision for another GPU provider are not this one's.
        models: {
          a: { gear: model('gear', 'webgpu', 'webgpu') },
          b: {
            gear: model('gear', 'cpu', 'webgpu'),
            faceres: model('faceres', 'webgpu', 'webgpu'),
            selfie: model('selfie', 'cuda', 'cuda'),
          },
        },
      }),
    );
    const res = await call<Res<'settings.get'>>(host, 'settings.get', {});
    expect(res.ep).toEqual({
      active: 'webgpu',
      reason: 'webgpu chosen',
      at: 2000,
      models: [
        { id: 'faceres', provider: 'webgpu', reason: 'faceres on webgpu' },
        { id: 'gear', provider: 'cpu', reason: 'gear on cpu' },
      ],
    });
  });
});
