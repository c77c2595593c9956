// Browser mode end to end: the real server and Chromium open the six demo photos as a gallery.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage } from '../helpers/e2e/browser';
import { sampleFolder, tempDir } from '../helpers/e2e/samples';
import { ROOT, startServer, type RunningServer } from '../helpers/e2e/server';

const RESULTS = join(ROOT, 'test-results');

/** Thumbnails whose pixels actually arrived (an <img> with a broken source has naturalWidth 0). */
function loadedThumbs(page: Page): Promise<number> {
  return page.locator('[data-testid=thumb]').evaluateAll(
    (els) =>
      els.filter((el) => {
        const img = el as unknown as { complete: boolean; naturalWidth: number };
        return img.complete && img.naturalWidth > 0;
      }).length,
  );
}

describe('gallery (browser mode)', () => {
  let server: RunningServer;
  let browser: Browser;
  const photos = sampleFolder();
  const data = tempDir('data');

  beforeAll(async () => {
    server = await startServer(data.path);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    photos.remove();
    data.remove();
  });

  it('shows six loaded thumbnails and the count after opening the sample folder', async () => {
    const { page, problems } = await openPage(browser, server.url);
    await page.getByTestId('folder-input').fill(photos.path);
    await page.getByTestId('open-folder').click();

    await expect.poll(() => loadedThumbs(page), { timeout: 60_000, interval: 250 }).toBe(6);
    await expect
      .poll(async () => (await page.getByTestId('image-count').innerText()).trim())
      .toMatch(/^6 images\b/);
    await expect.poll(() => page.getByTestId('job').getAttribute('data-state')).toBe('done');
    expect(
      await page.getByTestId('thumb').evaluateAll((els) => els.map((el) => el.getAttribute('alt'))),
    ).toEqual(['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg']);

    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'gallery.png') });
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });

  it('moves focus with the arrows, previews with Enter, closes with Escape and lists keys on ?', async () => {
    // A reload of the image gallery without a dataset (token remembered in sessionStorage) selects the existing one.
    const { page, problems } = await openPage(browser, server.url);
    await page.goto(server.origin + '/#/images');
    await expect.poll(() => loadedThumbs(page), { timeout: 30_000 }).toBe(6);

    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator(':focus').getAttribute('aria-label')).toBe('sample2.jpg');
    await page.keyboard.press('Enter');
    const preview = page.getByTestId('preview-image');
    await expect.poll(() => preview.getAttribute('alt')).toBe('sample2.jpg');
    await expect
      .poll(() => preview.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(0);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'preview.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('preview').count()).toBe(0);

    await page.keyboard.press('?');
    await expect.poll(() => page.getByTestId('key-sheet').count()).toBe(1);
    expect(await page.getByTestId('key-sheet').innerText()).toContain('Open the larger preview');
    expect(await page.getByTestId('key-sheet').innerText()).toContain('Review the focused face');
    await page.screenshot({ path: join(RESULTS, 'keys.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('key-sheet').count()).toBe(0);
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });

  it('refuses API, event and asset requests without the right token (403)', async () => {
    const post = (query: string) =>
      fetch(`${server.origin}/api/datasets.list${query}`, { method: 'POST', body: '{}' });
    expect((await post('')).status).toBe(403);
    expect((await post('?token=not-the-token')).status).toBe(403);
    expect((await fetch(`${server.origin}/events`)).status).toBe(403);
    expect((await fetch(`${server.origin}/assets/thumb/1`)).status).toBe(403);

    const ok = await post(`?token=${server.token}`);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { ok: boolean; value: { items: { root: string }[] } };
    expect(body.ok).toBe(true);
    expect(body.value.items.map((d) => d.root)).toEqual([photos.path]);
  });

  it('lists unreadable files with their reason under the Errors filter', async () => {
    const mixed = sampleFolder(['sample1.jpg']);
    writeFileSync(join(mixed.path, 'empty.jpg'), '');
    writeFileSync(join(mixed.path, 'notes.jpg'), 'plain text, not a JPEG');
    try {
      const { page, problems } = await openPage(browser, server.url);
      await page.getByTestId('folder-input').fill(mixed.path);
      await page.getByTestId('open-folder').click();
      await expect
        .poll(async () => (await page.getByTestId('image-count').innerText()).trim(), { timeout: 60_000 })
        .toMatch(/^3 images · 2 errors$/);

      await page.getByTestId('filter-error').click();
      await expect.poll(() => page.getByTestId('error-tile').count()).toBe(2);
      const tiles = page.locator('button[data-tile]');
      expect(await tiles.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label')))).toEqual([
        'empty.jpg',
        'notes.jpg',
      ]);
      for (const reason of await page.getByTestId('error-tile').allInnerTexts())
        expect(reason.trim()).not.toBe('');
      expect(await page.getByTestId('thumb').count()).toBe(0);
      await page.screenshot({ path: join(RESULTS, 'errors.png') });

      // A link of the retired image gallery (`#dataset=N&status=error`) lands on the same view in the one scheme.
      const id = new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('ds');
      expect(Number(id)).toBeGreaterThan(0);
      await page.goto(`${server.origin}/#dataset=${id}&status=error`);
      await expect.poll(() => new URL(page.url()).hash).toBe(`#/images?ds=${id}&status=error`);
      await expect.poll(() => page.getByTestId('error-tile').count()).toBe(2);
      expect(problems, server.output()).toEqual([]);
      await page.context().close();
    } finally {
      mixed.remove();
    }
  });

  it('keeps only the rows on screen in the DOM and reaches the last of 700 files with End', async () => {
    const many = tempDir('many');
    const N = 700; // beyond two pages of images.list (300 each): End must load the pages in between
    for (let i = 1; i <= N; i++)
      writeFileSync(join(many.path, `f${String(i).padStart(4, '0')}.jpg`), 'not a JPEG');
    try {
      const { page, problems } = await openPage(browser, server.url);
      await page.getByTestId('folder-input').fill(many.path);
      await page.getByTestId('open-folder').click();
      await expect
        .poll(async () => (await page.getByTestId('image-count').innerText()).trim(), { timeout: 60_000 })
        .toBe(`${N} images · ${N} errors`);
      // The grid knows every file once the import's last event has been read.
      await expect.poll(() => page.getByTestId('image-grid').getAttribute('data-total')).toBe(String(N));
      await expect.poll(() => page.locator('button[data-tile]').count()).toBeGreaterThan(0);
      expect(await page.locator('button[data-tile]').count()).toBeLessThan(100);

      await page.locator('button[data-tile]').first().focus();
      await page.keyboard.press('End');
      await expect
        .poll(() => page.locator(':focus').getAttribute('aria-label'), { timeout: 20_000 })
        .toBe(`f0${N}.jpg`);
      expect(await page.locator('button[data-tile]').count()).toBeLessThan(100);
      expect(problems, server.output()).toEqual([]);
      await page.context().close();
    } finally {
      many.remove();
    }
  });
});
