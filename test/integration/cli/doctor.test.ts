// `faceinsight doctor --json`: providers with the chosen one and its reason, every bundled model ready with a hash.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, tempDir } from '../../helpers/fs';

describe('faceinsight doctor', () => {
  it('reports providers, the seven bundled models and the database', () => {
    const t = tempDir();
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/main/cli.ts'), 'doctor', '--json', '--data-dir', t.dir],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    t.cleanup();
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      providers: { available: string[]; chosen: string; reason: string };
      models: { id: string; status: string; sha256: string | null }[];
      database: { exists: boolean };
    };
    expect(report.providers.available).toContain('cpu');
    expect(report.providers.reason.length).toBeGreaterThan(10);
    expect(report.models.map((m) => m.id).sort()).toEqual([
      'blazeface',
      'emotion',
      'facemesh',
      'faceres',
      'gear',
      'mobilefacenet',
      'selfie',
    ]);
    for (const m of report.models)
      expect(m).toMatchObject({ status: 'ready', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(report.database.exists).toBe(false);
  });

  it('exits 2 on an unknown provider', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/main/cli.ts'), 'doctor', '--ep', 'tpu'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--ep/);
  });
});
