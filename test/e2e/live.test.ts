// Live edits end to end (issue #32.4): several pages on one server; an edit in one page updates the others' review
// screen and gallery in place, and a page that missed it is told its edit overwrote another one.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Dataset, Job } from '../../src/shared/api';
import { launchBrowser, openPage } from '../helpers/e2e/browser';
import { sampleFolder, tempDir } from '../helpers/e2e/samples';
import { ROOT, startServer, type RunningServer, callApi, waitForJob } from '../helpers/e2e/server';
import { seedWholeImageFaces } from '../helpers/faces';

const RESULTS = join(ROOT, 'test-results');
let server: RunningServer;
let browser: Browser;
let dataset: Dataset;
let faceId: number;
const photos = sampleFolder(['sample4.jpg']);
const data = tempDir('data');

const reviewUrl = () => `${server.url}#/review/${faceId}?ds=${dataset.id}`;
const smiling = (page: Page) => page.getByTestId('attr-Smiling');

beforeAll(async () => {
  server = await startServer(data.path);
  browser = await launchBrowser();
  const created = await callApi<{ dataset: Dataset; job: Job }>(server, 'datasets.create', {
    root: photos.path,
  });
  await waitForJob(server, created.job.id, 60_000);
  dataset = created.dataset;
  [faceId] = seedWholeImageFaces(join(data.path, 'faceinsight.db'), dataset.id) as [number];
  mkdirSync(RESULTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  photos.remove();
  data.remove();
});

it("an edit in one page updates another page's review screen and gallery in place", async () => {
  const a = await openPage(browser, reviewUrl());
  const b = await openPage(browser, reviewUrl());
  const gallery = await openPage(browser, `${server.url}#/faces?ds=${dataset.id}`);
  await expect.poll(() => smiling(b.page).getAttribute('data-value')).toBe('');
  await expect.poll(() => gallery.page.getByTestId('face-tile').count()).toBe(1);

  await smiling(a.page).getByRole('button', { name: 'Smiling: yes' }).click();
  await expect.poll(() => smiling(b.page).getAttribute('data-value')).toBe('1');
  // A review-status change reaches the gallery tile.
  await a.page.keyboard.press('f');
  await expect.poll(() => gallery.page.getByTestId('tile-review').textContent()).toContain('flagged');
  for (const p of [a, b, gallery]) expect(p.problems).toEqual([]);
  await Promise.all([a, b, gallery].map((p) => p.page.context().close()));
});

it('tells a reviewer whose view was stale what the edit overwrote and who set it', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // This page gets no events, so its view of the face goes stale.
  await context.route('**/events**', (route) => route.abort());
  const page = await context.newPage();
  await page.goto(reviewUrl());
  await expect.poll(() => smiling(page).getAttribute('data-value')).toBe('1');
  await callApi(server, 'labels.set', { faceId, key: 'Smiling', value: -1 });
  await smiling(page).getByRole('button', { name: 'Smiling: unknown' }).click();
  const notice = page.getByTestId('stale-notice');
  await expect.poll(() => notice.isVisible()).toBe(true);
  expect(await notice.textContent()).toMatch(
    /Smiling: your edit replaced “no”, set by reviewer at .* \(you saw “yes”\)/,
  );
  await page.screenshot({ path: join(RESULTS, 'live-stale-notice.png') });
  const history = (
    await callApi<{ history: { key: string; new: string | null }[] }>(server, 'faces.get', {
      id: faceId,
    })
  ).history.filter((h) => h.key === 'Smiling');
  expect(history.map((h) => h.new)).toEqual([null, '-1', '1']);
  await page.getByRole('button', { name: 'Dismiss the notice' }).click();
  await expect.poll(() => notice.count()).toBe(0);
  await context.close();
});
