// The app on a PostgreSQL URL with a password: the password never reaches the renderer (app.info), the log or the
// job process's log lines, while the job process still opens the database from the URL it is given.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppInfo, Dataset, Job } from '../../../src/shared/api';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { freshTarget, skipBackend } from '../../helpers/backends';
import { copySamples, tempDir } from '../../helpers/fs';

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(skipBackend('postgres'))('the app on PostgreSQL', () => {
  it('runs a job from a URL with a password and shows the password nowhere', async () => {
    const t = tempDir('fi-pgapp-');
    cleanups.push(t.cleanup);
    // The test cluster trusts every local connection, so any password opens it: one that must stay hidden.
    const url = (await freshTarget('postgres', 'pgapp')).target.replace(
      'postgres@',
      'postgres:Sup3r-s3cret@',
    );
    const dataDir = join(t.dir, 'data');
    const host = await startTestApp(dataDir, url);
    cleanups.push(() => host.close());
    const info = await call<AppInfo>(host, 'app.info');
    expect(info.dbPath).toMatch(/^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/pgapp_/);

    copySamples(join(t.dir, 'photos'), ['sample1.jpg', 'sample2.jpg']);
    const { dataset, job } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
      root: join(t.dir, 'photos'),
    });
    expect(await waitForJob(host, job.id)).toMatchObject({ state: 'done', done: 2 });
    expect(
      (await call<{ items: unknown[] }>(host, 'images.list', { datasetId: dataset.id })).items,
    ).toHaveLength(2);
    await host.close();

    const log = readFileSync(join(dataDir, 'logs', 'faceinsight.log'), 'utf8');
    expect(log).toMatch(/job process start/);
    expect(log).toContain('postgres:***@');
    expect(log).not.toContain('Sup3r-s3cret');
  });
});
