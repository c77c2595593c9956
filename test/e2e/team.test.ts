// Team mode end to end: `serve --team` with two people's tokens; the review screen's History names who made each
// edit (one over the API as alice, one clicked in Chromium as bob).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, FaceSummary, Job, Page as ApiPage } from '../../src/shared/api';
import { launchBrowser, openPage } from '../helpers/e2e/browser';
import { sampleFolder, tempDir } from '../helpers/e2e/samples';
import { ROOT, startServer, type RunningServer, callApi, waitForJob } from '../helpers/e2e/server';

const RESULTS = join(ROOT, 'test-results');
const photos = sampleFolder(['sample1.jpg', 'sample2.jpg']);
const data = tempDir('data');
let alice: RunningServer;
let browser: Browser;

/** `faceinsight users add NAME --role ROLE --json` with the built CLI: the token. */
function addUser(name: string, role: string): string {
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin/faceinsight.js'),
      'users',
      'add',
      name,
      '--role',
      role,
      '--json',
      '--data-dir',
      data.path,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`users add ${name}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { token: string }).token;
}

beforeAll(async () => {
  const aliceToken = addUser('alice', 'admin');
  const bobToken = addUser('bob', 'reviewer');
  alice = await startServer(data.path, 60_000, { args: ['--team'], token: aliceToken });
  // bob's view of the same server: his token in the URL the browser opens.
  Object.assign(bob, { url: `${alice.origin}/?token=${bobToken}` });
  browser = await launchBrowser();
  mkdirSync(RESULTS, { recursive: true });
}, 120_000);

const bob = { url: '' };

afterAll(async () => {
  await browser?.close();
  await alice?.stop();
  photos.remove();
  data.remove();
});

describe('team mode (browser mode)', () => {
  it("shows in History who made each edit: the token's user", async () => {
    const created = await callApi<{ dataset: Dataset; job: Job }>(alice, 'datasets.create', {
      root: photos.path,
    });
    await waitForJob(alice, created.job.id, 120_000);
    const job = await callApi<Job>(alice, 'datasets.analyze', { datasetId: created.dataset.id, ep: 'cpu' });
    expect(await waitForJob<Job>(alice, job.id, 240_000)).toMatchObject({ state: 'done' });
    const faces = (
      await callApi<ApiPage<FaceSummary>>(alice, 'faces.list', { datasetId: created.dataset.id, limit: 10 })
    ).items;
    const id = faces[0]!.id;
    await callApi(alice, 'labels.apply', { faceId: id, changes: [{ key: 'Eyeglasses', value: 1 }] });

    const { page, problems } = await openPage(browser, `${bob.url}#/review/${id}?ds=${created.dataset.id}`);
    await expect
      .poll(() => page.getByTestId('review').getAttribute('data-face'), { timeout: 20_000 })
      .toBe(String(id));
    await page.getByRole('button', { name: 'Smiling: yes' }).click();
    const rows = page.getByTestId('history').locator('li');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    expect(await rows.nth(0).innerText()).toMatch(/Smiling[\s\S]*bob/);
    expect(await rows.nth(1).innerText()).toMatch(/Eyeglasses[\s\S]*alice/);
    await page.getByTestId('history').screenshot({ path: join(RESULTS, 'team-history.png') });
    await page.screenshot({ path: join(RESULTS, 'team-review.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);
});
