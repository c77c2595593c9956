// Learning in the UI end to end: settings and Train now on Stats, the CV report, identities, Enter's order.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AppInfo,
  Dataset,
  FaceDetail,
  FaceSummary,
  IdentityReport,
  IdentityResult,
  Job,
  LearningReport,
  Page as ApiPage,
  RankedFace,
} from '../../src/shared/api';
import { launchBrowser, openPage } from '../helpers/e2e/browser';
import { sampleFolder, tempDir } from '../helpers/e2e/samples';
import { ROOT, startServer, type RunningServer, callApi, waitForJob } from '../helpers/e2e/server';

const RESULTS = join(ROOT, 'test-results');
const DEMO = join(ROOT, 'node_modules/@vladmandic/face-api/demo');

let server: RunningServer;
let browser: Browser;
let dataset: Dataset;
let faces: FaceSummary[];
let page: Page;
let problems: string[];
const photos = sampleFolder();
const data = tempDir('data');

const api = <T>(method: string, req: unknown): Promise<T> => callApi<T>(server, method, req);
const waitJob = (id: number): Promise<Job> => waitForJob<Job>(server, id, 400_000);
/** The fresh identity report: an `identities` job computes it when the stored one is not fresh. */
async function identities(req: Record<string, unknown>): Promise<IdentityReport> {
  let r = await api<IdentityResult>('learning.identities', req);
  if (r.job) {
    expect((await waitJob(r.job.id)).state).toBe('done');
    r = await api<IdentityResult>('learning.identities', req);
  }
  expect(r.state).toBe('fresh');
  return r.report!;
}

const url = (path: string) => `${server.url}#/${path}${path.includes('?') ? '&' : '?'}ds=${dataset.id}`;
/** Thumbnails load lazily: wait for the ones in view before a screenshot. */
const IMAGES_IN_VIEW = `[...document.images]
  .filter((i) => i.getBoundingClientRect().top < innerHeight)
  .every((i) => i.complete && i.naturalWidth > 0)`;
const shoot = async (name: string, theme: 'dark' | 'light') => {
  await page.evaluate(`document.documentElement.dataset.theme = '${theme}'`);
  // A polled evaluate, not waitForFunction: the app's CSP forbids the eval that one needs.
  await expect.poll(() => page.evaluate(IMAGES_IN_VIEW), { timeout: 20_000 }).toBe(true);
  await page.screenshot({ path: join(RESULTS, `${name}-${theme}.png`), fullPage: true });
};
const currentFace = () => page.getByTestId('review').getAttribute('data-face');

beforeAll(async () => {
  // The same photo at 60 % size (one identity twice) and a byte-identical copy of another.
  const src = join(DEMO, 'sample1.jpg');
  const { width } = await sharp(src).metadata();
  await sharp(src)
    .resize({ width: Math.round(width! * 0.6) })
    .jpeg({ quality: 90 })
    .toFile(join(photos.path, 'sample1-small.jpg'));
  copyFileSync(join(DEMO, 'sample2.jpg'), join(photos.path, 'sample2-copy.jpg'));
  server = await startServer(data.path);
  browser = await launchBrowser();
  const created = await api<{ dataset: Dataset; job: Job }>('datasets.create', { root: photos.path });
  await waitJob(created.job.id);
  dataset = created.dataset;
  const job = await api<Job>('datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
  const analysed = await waitJob(job.id);
  expect(analysed.state, `${analysed.error}\n${server.output()}`).toBe('done');
  faces = (await api<ApiPage<FaceSummary>>('faces.list', { datasetId: dataset.id, limit: 1000 })).items;
  expect(faces.length).toBeGreaterThan(8);
  // sample1 in train and its resized copy in test: its people leak across the splits.
  const info = await api<AppInfo>('app.info', {});
  const db = new Database(info.dbPath);
  db.prepare(`UPDATE images SET split = 'train' WHERE rel_path = 'sample1.jpg'`).run();
  db.prepare(`UPDATE images SET split = 'test' WHERE rel_path = 'sample1-small.jpg'`).run();
  db.close();
  ({ page, problems } = await openPage(browser, url('stats')));
}, 600_000);

afterAll(async () => {
  await page?.context().close();
  await browser?.close();
  await server?.stop();
  photos.remove();
  data.remove();
});

describe('learning in the UI (browser mode)', () => {
  it('says what training needs before any model exists, and refuses bad settings per field', async () => {
    await expect.poll(() => page.getByTestId('learning-empty').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByTestId('learning-empty').innerText()).toMatch(/at least 4/);
    await shoot('learning-empty', 'dark');
    await shoot('learning-empty', 'light');
    await page.evaluate(`document.documentElement.dataset.theme = 'dark'`);

    // Training without labels fails with main's reason, shown in the job bar; still no model.
    await page.getByTestId('train-now').click();
    await expect
      .poll(() => page.getByTestId('job').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('failed');
    await expect.poll(() => page.getByTestId('job').innerText()).toMatch(/too few labelled faces/);
    expect(await page.getByTestId('learning-empty').count()).toBe(1);

    await page.getByTestId('lambda').fill('500');
    await page.getByTestId('learning-save').click();
    await expect.poll(() => page.getByTestId('error-lambda').count()).toBe(1);
    expect(await page.getByTestId('error-lambda').innerText()).toMatch(/lambda/);
    await page.getByTestId('lambda').fill('abc');
    await page.getByTestId('retrain-every').fill('0');
    await page.getByTestId('learning-save').click();
    await expect.poll(() => page.getByTestId('error-lambda').innerText()).toMatch(/expected a number/);
    await page.getByTestId('lambda').fill('0.8');
    await page.getByTestId('learning-save').click();
    await expect.poll(() => page.getByTestId('error-retrainEvery').count()).toBe(1);
    await page.getByTestId('retrain-every').fill('');
    await page.getByTestId('learning-save').click();
    await expect.poll(() => page.getByTestId('learning-saved').count()).toBe(1);
    expect(await page.locator('[data-testid^=error-]').count()).toBe(0);
    const report = await api<LearningReport>('learning.report', { datasetId: dataset.id });
    expect(report.settings).toMatchObject({ lambda: 0.8, retrainEvery: null, embeddingModel: 'faceres' });
  });

  it('trains from the Stats screen and shows the cross-validated report', async () => {
    // Label two faces in three through the API (Male from the model's gender; Bald and Eyeglasses by
    // position, so both values occur); the heads learn only from labels.
    const labelled = faces.filter((_, i) => i % 3 !== 2);
    for (const [i, f] of labelled.entries()) {
      const d = await api<FaceDetail>('faces.get', { id: f.id });
      const gender = d.predictions.find((p) => p.task === 'gender')?.value as { label: string };
      await api('labels.set', { faceId: f.id, key: 'Male', value: gender.label === 'Male' ? 1 : -1 });
      await api('labels.set', { faceId: f.id, key: 'Bald', value: i % 3 === 0 ? 1 : -1 });
      await api('labels.set', { faceId: f.id, key: 'Eyeglasses', value: i % 4 === 1 ? 1 : -1 });
    }
    await page.reload();
    await page.getByTestId('train-now').click();
    await expect
      .poll(() => page.getByTestId('job').getAttribute('data-state'))
      .toMatch(/queued|running|done/);
    await expect
      .poll(() => page.getByTestId('job').getAttribute('data-state'), { timeout: 120_000 })
      .toBe('done');
    const report = await api<LearningReport>('learning.report', { datasetId: dataset.id });
    expect(report.model).toMatchObject({ faces: labelled.length, lambda: 0.8 });
    await expect
      .poll(() => page.getByTestId('learning-row').count(), { timeout: 20_000 })
      .toBe(report.evaluation!.attributes.length);
    const bald = report.evaluation!.attributes.find((a) => a.key === 'Bald')!;
    const row = page.locator('[data-testid=learning-row][data-key=Bald]');
    expect(await row.innerText()).toContain((100 * bald.balancedAccuracy).toFixed(1));
    expect(await row.innerText()).toContain((100 * bald.majorityBaseline).toFixed(1));
    expect(await page.getByTestId('learning-model').innerText()).toContain(report.model!.runId.slice(0, 8));
    expect(await page.getByTestId('learning-cv').innerText()).toContain(
      `${report.evaluation!.folds}-fold cross-validation on ${labelled.length} labelled faces`,
    );
    await shoot('learning-stats', 'dark');
    await shoot('learning-stats', 'light');
    await page.evaluate(`document.documentElement.dataset.theme = 'dark'`);
  });

  it('lists same-identity clusters, duplicates and leakage, and opens a face in Review', async () => {
    await page.getByTestId('nav-identities').click();
    const r = await identities({ datasetId: dataset.id });
    expect(r.clusters.length).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId('identity-cluster').count(), { timeout: 30_000 })
      .toBe(r.clusters.length);
    expect(await page.getByTestId('near-duplicate').count()).toBe(r.nearDuplicates.length);
    const leak = page.getByTestId('leakage');
    expect(await leak.innerText()).toContain('test + train');
    expect(await leak.getByTestId('identity-face').count()).toBe(
      r.leakage.reduce((n, l) => n + l.faces.length, 0),
    );
    expect(await page.getByTestId('duplicates').innerText()).toContain('sample2-copy.jpg');
    await shoot('learning-identities', 'dark');
    await shoot('learning-identities', 'light');
    await page.evaluate(`document.documentElement.dataset.theme = 'dark'`);

    // Stricter than a face and its resized copy (0.985–0.995): only byte-identical copies stay together.
    const strict = await identities({ datasetId: dataset.id, threshold: 0.999 });
    expect(strict.clusters.length).toBeLessThan(r.clusters.length);
    await page.getByTestId('identity-threshold').fill('0.999');
    await page.getByTestId('identity-apply').click();
    // Each new threshold is an identities job in the job process: as long a wait as for the first report.
    await expect
      .poll(() => page.getByTestId('identity-cluster').count(), { timeout: 30_000 })
      .toBe(strict.clusters.length);
    expect(await leak.innerText()).toContain('No identity appears in two splits');
    await page.getByTestId('identity-threshold').fill(String(r.threshold));
    await page.getByTestId('identity-apply').click();
    await expect
      .poll(() => page.getByTestId('identity-cluster').count(), { timeout: 30_000 })
      .toBe(r.clusters.length);

    const target = r.clusters[0]!.faces[0]!.faceId;
    await page.locator(`[data-testid=clusters] [data-testid=identity-face][data-face="${target}"]`).click();
    await expect.poll(currentFace, { timeout: 20_000 }).toBe(String(target));
  });

  it('Enter goes to learning.next’s face once a model exists; j stays in the gallery order', async () => {
    const ids = faces.map((f) => f.id);
    // A start face whose list neighbour is not the most useful face, so the two orders tell apart.
    let start = -1;
    let expected = -1;
    for (const id of ids.slice(0, -1)) {
      const next = await api<{ item: RankedFace | null }>('learning.next', {
        datasetId: dataset.id,
        exclude: [id],
      });
      const useful = next.item?.face.id;
      if (useful && useful !== ids[ids.indexOf(id) + 1] && useful !== ids.at(-1)) {
        [start, expected] = [id, useful];
        break;
      }
    }
    expect(start).toBeGreaterThan(0);
    await page.goto(url(`review/${start}`));
    await expect.poll(currentFace, { timeout: 20_000 }).toBe(String(start));
    await expect.poll(() => page.getByTestId('review-order').getAttribute('data-order')).toBe('useful');
    await shoot('learning-review', 'dark');
    await shoot('learning-review', 'light');
    await page.evaluate(`document.documentElement.dataset.theme = 'dark'`);
    await page.keyboard.press('Enter');
    await expect.poll(currentFace).toBe(String(expected));
    expect((await api<FaceDetail>('faces.get', { id: start })).face.review).toBe('reviewed');
    const now = await api<{ item: RankedFace | null }>('learning.next', { datasetId: dataset.id });
    expect(now.item?.face.id).toBe(expected);

    await page.keyboard.press('j');
    await expect.poll(currentFace).toBe(String(ids[ids.indexOf(expected) + 1]));
    await page.keyboard.press('k');
    await expect.poll(currentFace).toBe(String(expected));
  });

  it('sorts the gallery by usefulness, and Review opened from it follows that order', async () => {
    await page.goto(url('faces'));
    await page.getByTestId('sort').selectOption({ label: 'Most useful to review' });
    await expect.poll(() => decodeURIComponent(new URL(page.url()).hash)).toContain('"sort":"useful"');
    const ranking = await api<ApiPage<RankedFace>>('learning.ranking', { datasetId: dataset.id, limit: 3 });
    const tiles = page.getByTestId('face-tile');
    await expect.poll(() => tiles.first().getAttribute('data-face')).toBe(String(ranking.items[0]!.face.id));
    await page.keyboard.press('Enter');
    await expect.poll(currentFace, { timeout: 20_000 }).toBe(String(ranking.items[0]!.face.id));
    await expect.poll(() => page.getByTestId('review-order').getAttribute('data-order')).toBe('useful');
    expect(problems, server.output()).toEqual([]);
  });
});
