// Browser mode end to end: library → analyse the sample photos → face gallery, filters, heatmap, 100k faces.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AppInfo,
  Cooccurrence,
  Dataset,
  FaceQuery,
  FaceSummary,
  Job,
  Page as ApiPage,
} from '../../src/shared/api';
import { openStore } from '../../src/main/store/index';
import { launchBrowser, openPage } from '../helpers/e2e/browser';
import { sampleFolder, tempDir } from '../helpers/e2e/samples';
import { ROOT, startServer, type RunningServer } from '../helpers/e2e/server';
import { seedFaces } from '../helpers/gallery-seed';

const RESULTS = join(ROOT, 'test-results');
const SCALE = 100_000;

describe('library and face gallery (browser mode)', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let dataset: Dataset;
  const photos = sampleFolder();
  const big = sampleFolder();
  const data = tempDir('data');

  async function api<T>(method: string, req: unknown = {}): Promise<T> {
    const res = await fetch(`${server.origin}/api/${method}?token=${server.token}`, {
      method: 'POST',
      body: JSON.stringify(req),
    });
    const body = (await res.json()) as { ok: boolean; value: T; error: unknown };
    if (!body.ok) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.value;
  }
  const total = async (q: FaceQuery) =>
    (await api<ApiPage<FaceSummary>>('faces.list', { ...q, limit: 1 })).total;
  const faceCount = async () =>
    Number((await page.getByTestId('face-count').innerText()).replace(/[^\d]/g, ''));

  type Themed = { dataset: Record<string, string | undefined> };
  const theme = () => page.locator('html').evaluate((el) => (el as unknown as Themed).dataset.theme);
  const setTheme = (t: string) =>
    page.locator('html').evaluate((el, v) => ((el as unknown as Themed).dataset.theme = v), t);

  /** Screenshots in both themes (the theme is a setting, applied at once). */
  async function shoot(name: string) {
    mkdirSync(RESULTS, { recursive: true });
    for (const theme of ['dark', 'light'] as const) {
      await setTheme(theme);
      await page.waitForTimeout(150);
      await page.screenshot({ path: join(RESULTS, `${name}-${theme}.png`) });
    }
    await setTheme('dark');
  }

  beforeAll(async () => {
    server = await startServer(data.path);
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser, server.url));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    photos.remove();
    big.remove();
    data.remove();
  });

  it('opens a folder from the library and analyses it to 100 %', async () => {
    await expect.poll(() => page.getByTestId('library').count()).toBe(1);
    expect(new URL(page.url()).hash).toBe('#/library');
    await page.getByLabel('Folder to open').fill(photos.path);
    await page.getByRole('button', { name: 'Open folder' }).click();
    await expect
      .poll(() => page.getByTestId('stat-images').first().innerText(), { timeout: 60_000 })
      .toBe('6');
    dataset = (await api<{ items: Dataset[] }>('datasets.list')).items[0]!;

    await page.getByTestId('analyze').click();
    const bar = page.locator('[data-testid=library-job][data-kind=analyze] [data-testid=job-bar]');
    await expect.poll(() => bar.count(), { timeout: 10_000 }).toBe(1);
    await expect
      .poll(() => bar.getAttribute('aria-valuenow'), { timeout: 240_000, interval: 250 })
      .toBe('100');
    await expect
      .poll(() => page.locator('[data-testid=library-job][data-kind=analyze]').getAttribute('data-state'))
      .toBe('done');
    const faces = await total({ datasetId: dataset.id });
    expect(faces).toBeGreaterThanOrEqual(6);
    await expect.poll(() => page.getByTestId('stat-faces').first().innerText()).toBe(String(faces));
    await shoot('library');
  });

  it('shows every face in the gallery and filters on violations with the API count', async () => {
    await page.getByTestId('show-faces').click();
    const faces = await total({ datasetId: dataset.id });
    await expect.poll(faceCount, { timeout: 10_000 }).toBe(faces);
    await expect.poll(() => page.getByTestId('face-tile').count()).toBe(faces);
    const loaded = () =>
      page
        .getByTestId('face-thumb')
        .evaluateAll(
          (els) => els.filter((e) => (e as unknown as { naturalWidth: number }).naturalWidth > 0).length,
        );
    await expect.poll(loaded, { timeout: 30_000 }).toBe(faces);

    const flagged = await total({ datasetId: dataset.id, hasViolations: true });
    expect(Number(await page.getByTestId('violations-yes-count').innerText())).toBe(flagged);
    await page.getByTestId('violations-yes').click();
    await expect.poll(faceCount).toBe(flagged);
    expect(new URL(page.url()).hash).toContain('hasViolations');
    await shoot('faces');
    await page.getByTestId('violations-yes').click();
    await expect.poll(faceCount).toBe(faces);
  });

  it('filters the gallery to a heatmap cell', async () => {
    await page.getByTestId('nav-stats').click();
    await page.getByTestId('cooc-predictions').click();
    const cooc = await api<Cooccurrence>('stats.cooccurrence', {
      datasetId: dataset.id,
      source: 'predictions',
    });
    const k = cooc.keys.length;
    // The pair seen together most often (off the diagonal) gives a non-empty gallery.
    let best = [0, 1];
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++)
        if (i !== j && cooc.m[i * k + j]! > cooc.m[best[0]! * k + best[1]!]!) best = [i, j];
    const [i, j] = best as [number, number];
    await expect.poll(() => page.getByTestId('heatmap').count()).toBe(1);
    await shoot('stats');
    // Cells are 13 px from (140, 140) inside the canvas (Heatmap.svelte).
    await page.getByTestId('heatmap').click({ position: { x: 140 + j * 13 + 6, y: 140 + i * 13 + 6 } });
    const both = await total({
      datasetId: dataset.id,
      pair: { keys: [cooc.keys[i]!, cooc.keys[j]!], source: 'predictions' },
    });
    expect(both).toBe(cooc.m[i * k + j]);
    await expect.poll(faceCount).toBe(both);
    expect(new URL(page.url()).hash).toMatch(/^#\/faces\?/);
  });

  it('bulk-marks selected faces reviewed in one action', async () => {
    await page.getByTestId('clear-filters').click();
    const faces = await total({ datasetId: dataset.id });
    await expect.poll(faceCount).toBe(faces);
    const tiles = page.locator('[data-testid=face-tile] button[data-tile]');
    await tiles.nth(0).click({ modifiers: ['Control'] });
    await tiles.nth(1).click({ modifiers: ['Control'] });
    await expect.poll(() => page.getByTestId('selected-count').innerText()).toBe('2 selected');
    await page.getByTestId('bulk-reviewed').click();
    await expect.poll(() => page.getByTestId('review-reviewed-count').innerText()).toBe('2');
    expect(await total({ datasetId: dataset.id, review: 'reviewed' })).toBe(2);
  });

  it('checks the rule file as it is typed and shows line and column of an error', async () => {
    await page.getByTestId('nav-rules').click();
    const text = page.getByTestId('rules-text');
    await expect.poll(async () => (await text.inputValue()).length).toBeGreaterThan(10);
    await expect.poll(() => page.locator('[data-testid^=flagged-]').count()).toBeGreaterThan(0);
    await text.press('Control+End');
    await text.pressSequentially('\nbad-rule: error: Bald -> Nonsense_Attr');
    await expect
      .poll(() => page.getByTestId('rules-errors').innerText(), { timeout: 5_000 })
      .toMatch(/^\d+:\d+/);
    expect(await page.getByTestId('rules-save').isDisabled()).toBe(true);
    await shoot('rules');
  });

  it('exports the dataset and shows the files written', async () => {
    const out = tempDir('export');
    try {
      await page.getByTestId('nav-export').click();
      await page.getByTestId('export-out').fill(out.path);
      await page.getByTestId('export-start').click();
      await expect
        .poll(() => page.getByTestId('export-job').getAttribute('data-state'), { timeout: 60_000 })
        .toBe('done');
      await expect.poll(() => page.getByTestId('export-files').innerText()).toMatch(/\S/);
      await shoot('export');
    } finally {
      out.remove();
    }
  });

  it('shows the active execution provider and switches the theme', async () => {
    await page.getByTestId('nav-settings').click();
    await expect.poll(() => page.getByTestId('ep-active').innerText()).toMatch(/Active: \w+/);
    await page.getByTestId('theme-light').click();
    await expect.poll(theme).toBe('light');
    await shoot('settings');
    await page.getByTestId('theme-dark').click();
    await expect.poll(theme).toBe('dark');
  });

  it(`scrolls to the end of ${SCALE.toLocaleString()} faces and filters them`, async () => {
    const created = await api<{ dataset: Dataset; job: Job }>('datasets.create', { root: big.path });
    const info = await api<AppInfo>('app.info');
    await expect
      .poll(async () => (await api<Job>('jobs.get', { id: created.job.id })).state, { timeout: 60_000 })
      .toBe('done');
    const store = openStore(info.dbPath);
    const seeded = seedFaces(store, created.dataset.id, SCALE);
    store.close();

    await page.goto(`${server.origin}/#/faces?ds=${created.dataset.id}`);
    await expect.poll(faceCount, { timeout: 5_000 }).toBe(SCALE);
    await page.getByTestId('face-grid').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('End');
    const last = page.locator(`[data-testid=face-tile] [data-index="${SCALE - 1}"]`);
    await expect.poll(() => last.count(), { timeout: 5_000 }).toBe(1);
    await page.getByTestId('review-reviewed').click();
    await expect.poll(faceCount, { timeout: 5_000 }).toBe(seeded.reviewed);
    await shoot('faces-100k');
    expect(problems, server.output()).toEqual([]);
  });
});
