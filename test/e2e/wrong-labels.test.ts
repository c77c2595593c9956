// Wrong labels first (#29) in the UI: imported labels with one planted flip, Train now, the flipped face first in
// "Likely wrong labels" (the gallery's default order), its suspect with the evidence in Review, the one-key fix
// (w, undoable), and Stats' noise counts linking into the gallery. Real server (browser mode), real SQLite file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppInfo, Dataset, FaceDetail, Job, LabelIssue, Page as ApiPage } from '../../src/shared/api';
import { engineFor } from '../../src/main/constraints/index';
import { openStore } from '../../src/main/store/index';
import { linearAttributes } from '../unit/main/learning/synthetic';
import { launchBrowser, openPage } from '../helpers/e2e/browser';
import { tempDir } from '../helpers/e2e/samples';
import { ROOT, startServer, type RunningServer, callApi, waitForJob } from '../helpers/e2e/server';

const RESULTS = join(ROOT, 'test-results');
const KEYS = ['Eyeglasses', 'Smiling', 'Male'];
const N = 200;
/** The row whose imported Male label is flipped (its imported gender keeps the truth). */
const FLIP = 10;

let server: RunningServer;
let browser: Browser;
let dataset: Dataset;
let page: Page;
let problems: string[];
let flipped = -1;
let truth = 0;
const photos = tempDir('wrong-photos');
const data = tempDir('wrong-data');

const api = <T>(method: string, req: unknown): Promise<T> => callApi<T>(server, method, req);
const url = (path: string) => `${server.url}#/${path}${path.includes('?') ? '&' : '?'}ds=${dataset.id}`;
const hash = () => decodeURIComponent(new URL(page.url()).hash);
/** Thumbnails load lazily: wait for the ones in view before a screenshot (a polled evaluate: the CSP forbids eval). */
const IMAGES_IN_VIEW = `[...document.images]
  .filter((i) => i.getBoundingClientRect().top < innerHeight)
  .every((i) => i.complete && i.naturalWidth > 0)`;
const shoot = async (name: string) => {
  await expect.poll(() => page.evaluate(IMAGES_IN_VIEW), { timeout: 20_000 }).toBe(true);
  for (const theme of ['dark', 'light']) {
    await page.evaluate(`document.documentElement.dataset.theme = '${theme}'`);
    await page.screenshot({ path: join(RESULTS, `${name}-${theme}.png`), fullPage: true });
  }
  await page.evaluate(`document.documentElement.dataset.theme = 'dark'`);
};
const maleLabel = async () =>
  (await api<FaceDetail>('faces.get', { id: flipped })).labels.find((l) => l.key === 'Male')?.effective;

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  // One small real photo per face (distinct colours), indexed by the app.
  for (let i = 0; i < N; i++) {
    await sharp({
      create: {
        width: 96,
        height: 96,
        channels: 3,
        background: { r: (i * 37) % 256, g: (i * 91) % 256, b: 120 },
      },
    })
      .jpeg()
      .toFile(join(photos.path, `p${String(i).padStart(3, '0')}.jpg`));
  }
  server = await startServer(data.path);
  const created = await api<{ dataset: Dataset; job: Job }>('datasets.create', { root: photos.path });
  expect((await waitForJob<Job>(server, created.job.id, 120_000)).state).toBe('done');
  dataset = created.dataset;
  const { dbPath } = await api<AppInfo>('app.info', {});
  await server.stop();

  // A face per photo with a generated faceres embedding and imported labels that follow it, one Male flipped.
  const gen = linearAttributes(N, 32, KEYS, 17);
  const db = new Database(dbPath, { readonly: true });
  const images = db
    .prepare('SELECT id, rel_path AS relPath FROM images WHERE dataset_id = ? ORDER BY rel_path')
    .all(dataset.id) as { id: number; relPath: string }[];
  db.close();
  expect(images.length).toBe(N);
  const male = KEYS.indexOf('Male');
  const store = openStore(dbPath);
  store.write(() => {
    images.forEach((img, i) => {
      const faceId = store.faces.insert({
        imageId: img.id,
        idx: 0,
        x: 8,
        y: 8,
        w: 80,
        h: 80,
        detScore: 0.9,
        source: 'detected',
        landmarks: null,
      });
      store.faces.replaceModelOutputs(faceId, {
        predictions: [],
        mask: null,
        embeddings: [{ modelId: 'faceres', vector: gen.x.slice(i * gen.d, (i + 1) * gen.d) }],
      });
      const y = (c: number) => gen.y[i * KEYS.length + c]!;
      KEYS.forEach((key, c) =>
        store.labels.setImported(faceId, key, String(i === FLIP && c === male ? -y(c) : y(c))),
      );
      store.labels.setImported(faceId, 'gender', y(male) === 1 ? 'Male' : 'Female');
      if (i === FLIP) [flipped, truth] = [faceId, y(male)];
    });
  });
  engineFor(store).refreshLabelViolations(dataset.id);
  store.close();

  server = await startServer(data.path);
  browser = await launchBrowser();
  ({ page, problems } = await openPage(browser, url('stats')));
}, 300_000);

afterAll(async () => {
  await page?.context().close();
  await browser?.close();
  await server?.stop();
  photos.remove();
  data.remove();
});

describe('wrong labels first in the UI (browser mode)', () => {
  it('trains from Stats; the noise table counts the suspects per key and links into the gallery', async () => {
    // Before training: no estimate, and the gallery keeps the id order.
    await expect
      .poll(() => page.getByTestId('noise').innerText(), { timeout: 20_000 })
      .toMatch(/No estimate/);
    await page.getByTestId('train-now').click();
    await expect
      .poll(() => page.getByTestId('job').getAttribute('data-state'), { timeout: 240_000 })
      .toBe('done');
    await expect.poll(() => page.getByTestId('noise-row').count(), { timeout: 20_000 }).toBe(KEYS.length + 1);
    const noise = await api<{ keys: { key: string; suspects: number; labels: number }[] }>('learning.noise', {
      datasetId: dataset.id,
    });
    const maleNoise = noise.keys.find((k) => k.key === 'Male')!;
    expect(maleNoise.suspects).toBeGreaterThan(0);
    const row = page.locator('[data-testid=noise-row][data-key=Male]');
    expect(await row.innerText()).toMatch(
      new RegExp(`^Male: about [\\d.]+ % of ${maleNoise.labels} labels, ${maleNoise.suspects} suspect`),
    );
    expect(await page.getByTestId('majority-balanced').first().innerText()).toBe('50.0');
    await page.getByTestId('noise').scrollIntoViewIfNeeded();
    await shoot('wrong-labels-stats');

    await row.getByTestId('noise-link').click();
    await expect.poll(hash).toContain('"suspectKey":"Male"');
    const suspects = await api<ApiPage<{ id: number }>>('faces.list', {
      datasetId: dataset.id,
      suspectKey: 'Male',
      limit: 1000,
    });
    await expect.poll(() => page.getByTestId('face-tile').count(), { timeout: 20_000 }).toBe(suspects.total);
    expect(await page.getByTestId('likely-wrong-key').getAttribute('aria-pressed')).toBe('true');
    const shown = await page
      .getByTestId('face-tile')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-face')));
    expect(shown).toContain(String(flipped));
  });

  it('orders the gallery by likely wrong labels by default once scores exist; the flipped face comes first', async () => {
    await page.goto(url('faces'));
    await expect.poll(hash).toContain('"sort":"wrong"');
    expect(await page.getByTestId('sort').inputValue()).toBe('wrong');
    // An order is not a filter: nothing to clear.
    expect(await page.getByTestId('clear-filters').count()).toBe(0);
    const tiles = page.getByTestId('face-tile');
    await expect
      .poll(() => tiles.first().getAttribute('data-face'), { timeout: 20_000 })
      .toBe(String(flipped));
    await shoot('wrong-labels-gallery');
    // The filter keeps the faces with a suspect label; a sort the URL names is kept.
    await page.getByTestId('likely-wrong-yes').click();
    await expect.poll(hash).toContain('"likelyWrong":true');
    const filtered = await api<ApiPage<{ id: number }>>('faces.list', {
      datasetId: dataset.id,
      likelyWrong: true,
    });
    await expect.poll(() => tiles.count()).toBe(filtered.total);
    await page.getByTestId('sort').selectOption('id');
    await expect.poll(hash).toContain('"sort":"id"');
    await page.reload();
    await expect.poll(() => page.getByTestId('sort').inputValue(), { timeout: 20_000 }).toBe('id');
  });

  it('Review lists the suspect with its evidence; w sets the suggested value, Ctrl+Z takes it back', async () => {
    await page.goto(url(`review/${flipped}?q=${encodeURIComponent('{"sort":"wrong"}')}`));
    const item = page.locator('[data-testid=suspect][data-key=Male]');
    await expect.poll(() => item.count(), { timeout: 20_000 }).toBe(1);
    const [issue] = (
      await api<ApiPage<LabelIssue>>('learning.suspects', {
        datasetId: dataset.id,
        faceId: flipped,
        key: 'Male',
      })
    ).items;
    expect(issue).toMatchObject({ suspect: true, stale: false, suggested: String(truth) });
    const yes = (v: number) => (v === 1 ? 'yes' : 'no');
    expect(await item.getByTestId('suspect-line').innerText()).toBe(
      `label ${yes(-truth)}; held-out model says ${yes(truth)} at ${issue!.pSuggested.toFixed(2)} (threshold ${issue!.threshold.toFixed(2)})`,
    );
    expect(await item.getByTestId('suspect-rule').allInnerTexts()).toContain('rule male-gender agrees');
    await expect.poll(() => page.getByTestId('review-order').getAttribute('data-next')).toBe('wrong');
    expect(await page.getByTestId('review-order').innerText()).toContain('likely wrong next');
    // The checklist says its learned values are held out (the face is labelled).
    expect(await page.getByTestId('pred-source').allInnerTexts()).toContain('held out');
    await shoot('wrong-labels-review');

    expect(await maleLabel()).toBe(String(-truth));
    await page.keyboard.press('w');
    await expect.poll(maleLabel).toBe(String(truth));
    await expect.poll(() => item.getAttribute('data-stale')).toBe('true');
    await page.keyboard.press('Control+z');
    await expect.poll(maleLabel).toBe(String(-truth));
    await expect.poll(() => item.getAttribute('data-stale')).toBe('false');
    await page.keyboard.press('w');
    await expect.poll(maleLabel).toBe(String(truth));

    // Enter marks the face reviewed and goes to the next likely wrong face (learning.next, order 'wrong').
    const next = await api<{ item: { face: { id: number } } | null; order: string }>('learning.next', {
      datasetId: dataset.id,
      exclude: [flipped],
      order: 'wrong',
    });
    expect(next.item).not.toBeNull();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByTestId('review').getAttribute('data-face'))
      .toBe(String(next.item!.face.id));
    expect((await api<FaceDetail>('faces.get', { id: flipped })).face.review).toBe('reviewed');
    expect(problems, server.output()).toEqual([]);
  });
});
