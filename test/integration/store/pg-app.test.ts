// The app on a PostgreSQL URL with a password: the password never reaches the renderer (app.info), the log or the
// job process's log lines, while the job process still opens the database from the URL it is given.
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppInfo, Dataset, ImageSummary, Job } from '../../../src/shared/api';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { freshTarget, rawDb, skipBackend } from '../../helpers/backends';
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

    const photos = join(t.dir, 'photos');
    copySamples(photos);
    for (const [i, f] of ['sample1.jpg', 'sample4.jpg', 'sample6.jpg'].entries())
      copyFileSync(join(photos, f), join(photos, `copy-${i}.jpg`));
    const { dataset, job } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
      root: photos,
    });
    expect(await waitForJob(host, job.id)).toMatchObject({ state: 'done', done: 9 });
    // The import's items came from pg-boss (its schema exists once a queue was used), in path order: image ids
    // follow the sorted paths, as on SQLite.
    const { items } = await call<{ items: ImageSummary[] }>(host, 'images.list', { datasetId: dataset.id });
    expect(items.map((i) => i.relPath)).toEqual(readdirSync(photos).sort());
    expect(items.map((i) => i.id)).toEqual(items.map((i) => i.id).sort((a, b) => a - b));
    const db = rawDb(url);
    expect(db.prepare("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'pgboss'").get()).toEqual({
      n: 1,
    });
    db.close();
    await host.close();

    const log = readFileSync(join(dataDir, 'logs', 'faceinsight.log'), 'utf8');
    expect(log).toMatch(/job process start/);
    expect(log).toContain('postgres:***@');
    expect(log).not.toContain('Sup3r-s3cret');
  });
});
