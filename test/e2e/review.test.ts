// Review screen end to end: real server, real models on the demo photos, Chromium driving mouse and keyboard.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, FaceDetail, FaceSummary, Job, Page as ApiPage } from '../../src/shared/api';
import { launchBrowser, openPage } from '../helpers/e2e/browser';
import { sampleFolder, tempDir } from '../helpers/e2e/samples';
import { ROOT, startServer, type RunningServer, callApi, waitForJob } from '../helpers/e2e/server';

const RESULTS = join(ROOT, 'test-results');
/** The overlay's colour for `hair` (CLASS_COLOURS in review/mask.ts). */
const HAIR = [120, 70, 30];

let server: RunningServer;
let browser: Browser;
let dataset: Dataset;
let faces: FaceSummary[];
const photos = sampleFolder();
const data = tempDir('data');

const api = <T>(method: string, req: unknown): Promise<T> => callApi<T>(server, method, req);
const waitJob = (id: number): Promise<Job> => waitForJob<Job>(server, id, 240_000);

/** Pixels of the mask canvas drawn in `rgb` (the canvas holds colours at full alpha; CSS sets the opacity). */
function colourCount(page: Page, rgb: number[]): Promise<number> {
  return page.getByTestId('mask-canvas').evaluate((el, [r, g, b]) => {
    const c = el as unknown as {
      width: number;
      height: number;
      getContext(k: '2d'): { getImageData(...a: number[]): { data: Uint8ClampedArray } };
    };
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4)
      if (px[i] === r && px[i + 1] === g && px[i + 2] === b && px[i + 3] === 255) n++;
    return n;
  }, rgb);
}

const reviewUrl = (faceId: number) => `${server.url}#/review/${faceId}?ds=${dataset.id}`;
const violation = (page: Page, rule: string) => page.locator(`[data-testid=violation][data-rule=${rule}]`);

beforeAll(async () => {
  server = await startServer(data.path);
  browser = await launchBrowser();
  const created = await api<{ dataset: Dataset; job: Job }>('datasets.create', { root: photos.path });
  await waitJob(created.job.id);
  dataset = created.dataset;
  const job = await api<Job>('datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
  expect(await waitJob(job.id)).toMatchObject({ state: 'done' });
  faces = (await api<ApiPage<FaceSummary>>('faces.list', { datasetId: dataset.id, limit: 100 })).items;
  expect(faces.length).toBeGreaterThan(3);
  mkdirSync(RESULTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  photos.remove();
  data.remove();
});

describe('review screen (browser mode)', () => {
  it('toggles hair in the overlay, fixes a violation, undoes and redoes it, and marks the face reviewed', async () => {
    let face: FaceDetail | undefined;
    for (const f of faces) {
      const d = await api<FaceDetail>('faces.get', { id: f.id });
      if ((d.masks[0]?.areas?.hair ?? 0) > 0.05) {
        face = d;
        break;
      }
    }
    expect(face, 'a demo face with hair in its mask').toBeDefined();
    const id = face!.face.id;
    const { page, problems } = await openPage(browser, reviewUrl(id));
    await expect
      .poll(() => page.getByTestId('review').getAttribute('data-face'), { timeout: 20_000 })
      .toBe(String(id));
    await expect.poll(() => colourCount(page, HAIR), { timeout: 20_000 }).toBeGreaterThan(500);
    await page.screenshot({ path: join(RESULTS, 'review-dark.png') });

    await page.getByTestId('class-hair').click();
    await expect.poll(() => colourCount(page, HAIR)).toBe(0);
    await page.getByTestId('class-hair').click();
    await expect.poll(() => colourCount(page, HAIR)).toBeGreaterThan(500);

    await page.getByRole('button', { name: 'Bald: yes' }).click();
    await expect.poll(() => page.getByTestId('attr-Bald').getAttribute('data-value')).toBe('1');
    await page.getByRole('button', { name: 'Bangs: yes' }).click();
    await expect.poll(() => violation(page, 'bald-no-bangs').count()).toBe(1);
    await expect.poll(() => page.getByTestId('attr-Bangs').getAttribute('class')).toMatch(/highlighted/);

    await violation(page, 'bald-no-bangs').getByTestId('fix').first().click();
    await expect.poll(() => violation(page, 'bald-no-bangs').count()).toBe(0);
    await page.getByTestId('undo').click();
    await expect.poll(() => violation(page, 'bald-no-bangs').count()).toBe(1);
    await page.getByTestId('redo').click();
    await expect.poll(() => violation(page, 'bald-no-bangs').count()).toBe(0);

    // Apply constraints: the consistent labelling as a diff; rejecting it writes nothing.
    await page.getByTestId('propose').click();
    await expect.poll(() => page.getByTestId('proposal').count()).toBe(1);
    expect(await page.getByTestId('proposal').innerText()).toContain('gender');
    await page.screenshot({ path: join(RESULTS, 'review-proposal.png') });
    await page.getByTestId('proposal-reject').click();
    await expect.poll(() => page.getByTestId('proposal').count()).toBe(0);

    await page.getByTestId('mark-reviewed').click();
    await expect.poll(async () => (await api<FaceDetail>('faces.get', { id })).face.review).toBe('reviewed');
    // Enter moved on to the next face of the list.
    await expect.poll(() => page.getByTestId('review').getAttribute('data-face')).not.toBe(String(id));

    await page.goto(reviewUrl(id));
    await page.evaluate("document.documentElement.dataset.theme = 'light'");
    await expect.poll(() => colourCount(page, HAIR), { timeout: 20_000 }).toBeGreaterThan(500);
    await page.screenshot({ path: join(RESULTS, 'review-light.png') });
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });

  it('reviews three faces with the keyboard only', async () => {
    const start = faces.find((f) => f.review === 'unreviewed' && f.id !== faces.at(-1)?.id)!;
    const { page, problems } = await openPage(browser, reviewUrl(start.id));
    const current = () => page.getByTestId('review').getAttribute('data-face');
    await expect.poll(current, { timeout: 20_000 }).toBe(String(start.id));
    const seen: number[] = [];
    // Focus the 6th row (the first CelebA attribute, after the 5 fields); the focused row stays put from face to face.
    for (let k = 0; k < 5; k++) await page.keyboard.press('ArrowDown');
    for (let i = 0; i < 3; i++) {
      const id = Number(await current());
      seen.push(id);
      // Yes on the focused row, no on the next one (undone and redone), then accept the other predictions.
      await page.keyboard.press('y');
      await expect
        .poll(() => page.locator('[data-testid=attributes] [aria-selected=true]').getAttribute('data-value'))
        .toBe('1');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('n');
      await expect
        .poll(() => page.locator('[data-testid=attributes] [aria-selected=true]').getAttribute('data-value'))
        .toBe('-1');
      await page.keyboard.press('Control+z');
      await expect
        .poll(() => page.locator('[data-testid=attributes] [aria-selected=true]').getAttribute('data-value'))
        .not.toBe('-1');
      await page.keyboard.press('Control+Shift+Z');
      await expect
        .poll(() => page.locator('[data-testid=attributes] [aria-selected=true]').getAttribute('data-value'))
        .toBe('-1');
      await page.keyboard.press('a');
      await expect
        .poll(() => page.getByTestId('attr-gender').getAttribute('data-value'))
        .toMatch(/^(Male|Female)$/);
      if (i === 1) {
        await page.keyboard.press('?');
        await expect.poll(() => page.getByTestId('key-sheet').count()).toBe(1);
        await page.screenshot({ path: join(RESULTS, 'review-keys.png') });
        await page.keyboard.press('Escape');
        await expect.poll(() => page.getByTestId('key-sheet').count()).toBe(0);
      }
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('Enter');
      await expect.poll(current).not.toBe(String(id));
    }
    for (const id of seen) {
      const d = await api<FaceDetail>('faces.get', { id });
      expect(d.face.review, `face ${id}`).toBe('reviewed');
      expect(d.labels.find((l) => l.key === '5_o_Clock_Shadow')?.human).toBe('1');
      expect(d.labels.find((l) => l.key === 'Arched_Eyebrows')?.human).toBe('-1');
    }
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });

  it('paints a hat stroke, saves it, and finds it again as a human mask after a reload', async () => {
    const id = faces[0]!.id;
    const { page, problems } = await openPage(browser, reviewUrl(id));
    const canvas = page.getByTestId('mask-canvas');
    await expect.poll(() => canvas.count(), { timeout: 20_000 }).toBe(1);
    await page.getByTestId('tool-brush').click();
    await page.getByTestId('paint-class').selectOption({ label: 'hat' });
    const box = (await canvas.boundingBox())!;
    const y = box.y + box.height * 0.12;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 8 });
    await page.mouse.move(box.x + box.width * 0.7, y, { steps: 8 });
    await page.mouse.up();
    const HAT = [40, 220, 140];
    await expect.poll(() => colourCount(page, HAT)).toBeGreaterThan(50);
    const stroke = await colourCount(page, HAT);
    // A polygon: three corners, then a click on the first closes and fills it.
    await page.getByTestId('tool-polygon').click();
    const corners: [number, number][] = [
      [0.3, 0.8],
      [0.5, 0.95],
      [0.7, 0.8],
      [0.3, 0.8],
    ];
    for (const [fx, fy] of corners) await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
    await expect.poll(() => colourCount(page, HAT)).toBeGreaterThan(stroke + 100);
    await page.getByTestId('mask-save').click();
    await expect.poll(() => page.getByTestId('mask-source').inputValue()).toBe('human:1');

    await page.reload();
    await expect
      .poll(() => page.getByTestId('mask-source').inputValue(), { timeout: 20_000 })
      .toBe('human:1');
    await expect.poll(() => colourCount(page, HAT)).toBeGreaterThan(50);
    const d = await api<FaceDetail>('faces.get', { id });
    expect(d.masks.find((m) => m.source === 'human')?.areas?.hat).toBeGreaterThan(0);
    expect(d.masks.some((m) => m.source === 'derived')).toBe(true);
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });
});

describe('fixes and the confirmation on open errors (browser mode)', () => {
  type Fix = FaceDetail['violations'][number]['fixes'][number];
  const detail = (id: number) => api<FaceDetail>('faces.get', { id });
  const human = (d: FaceDetail, key: string) => d.labels.find((l) => l.key === key)?.human ?? null;
  /** The distinct fixes of a face's violations, in the order the panel and the picker list them. */
  const fixesOf = (d: FaceDetail): Fix[] => {
    const out: Fix[] = [];
    for (const v of d.violations)
      for (const f of v.fixes)
        if (!out.some((o) => JSON.stringify(o.changes) === JSON.stringify(f.changes))) out.push(f);
    return out;
  };
  /** The screen in both themes, for a person to look at. */
  async function shootThemes(page: Page, name: string): Promise<void> {
    for (const theme of ['dark', 'light']) {
      await page.evaluate(`document.documentElement.dataset.theme = '${theme}'`);
      await page.screenshot({ path: join(RESULTS, `${name}-${theme}.png`) });
    }
  }
  const blur = (page: Page) => page.evaluate('document.activeElement && document.activeElement.blur()');

  it('offers the stored fix of a label-vs-prediction violation as a button and applies it with x', async () => {
    // A face the models left with one violation that is not label-vs-label and has exactly one stored fix.
    let face: FaceDetail | undefined;
    for (const f of faces) {
      const d = await detail(f.id);
      if (d.violations.length === 1 && d.violations[0]!.subject !== 'labels' && fixesOf(d).length === 1) {
        face = d;
        break;
      }
    }
    expect(face, 'a demo face with one non-label violation and one fix').toBeDefined();
    const id = face!.face.id;
    const v = face!.violations[0]!;
    const change = v.fixes[0]!.changes[0]!;
    const { page, problems } = await openPage(browser, reviewUrl(id));
    await expect.poll(() => violation(page, v.ruleKey).count(), { timeout: 20_000 }).toBe(1);
    expect(await violation(page, v.ruleKey).getAttribute('data-subject')).toBe(v.subject);
    expect(await violation(page, v.ruleKey).getByTestId('fix').count()).toBe(1);

    // One fix: x applies it at once, no picker.
    await page.keyboard.press('x');
    await expect.poll(() => violation(page, v.ruleKey).count()).toBe(0);
    expect(await page.getByTestId('fix-picker').count()).toBe(0);
    expect(human(await detail(id), change.key)).toBe(String(change.to));

    // Undone, the button does the same.
    await page.keyboard.press('Control+z');
    await expect.poll(() => violation(page, v.ruleKey).count()).toBe(1);
    await violation(page, v.ruleKey).getByTestId('fix').click();
    await expect.poll(() => violation(page, v.ruleKey).count()).toBe(0);
    expect(human(await detail(id), change.key)).toBe(String(change.to));
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });

  it('x with several fixes lists them numbered; Esc closes, 2 applies the second', async () => {
    // Male against the predicted gender: an error between a label and a prediction with two fixes.
    const id = faces.at(-1)!.id;
    const before = await detail(id);
    const gender = before.predictions.find((p) => p.task === 'gender')!.value as { label: string };
    await api('labels.set', { faceId: id, key: 'Male', value: gender.label === 'Male' ? -1 : 1 });
    const fixes = fixesOf(await detail(id));
    expect(fixes.length).toBeGreaterThan(1);

    const { page, problems } = await openPage(browser, reviewUrl(id));
    await expect.poll(() => violation(page, 'male-gender').count(), { timeout: 20_000 }).toBe(1);
    expect(await violation(page, 'male-gender').getAttribute('data-subject')).not.toBe('labels');
    expect(await violation(page, 'male-gender').getByTestId('fix').count()).toBe(2);
    await page.keyboard.press('x');
    await expect.poll(() => page.getByTestId('fix-option').count()).toBe(Math.min(9, fixes.length));
    // Nothing was applied yet.
    expect(await violation(page, 'male-gender').count()).toBe(1);
    const texts = await page.getByTestId('fix-option').allInnerTexts();
    expect(texts.map((t) => t.trim().slice(0, 1))).toEqual(texts.map((_, i) => String(i + 1)));
    await shootThemes(page, 'review-fix-picker');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('fix-picker').count()).toBe(0);
    expect(await page.getByTestId('review').count()).toBe(1);

    await page.keyboard.press('x');
    await expect.poll(() => page.getByTestId('fix-option').count()).toBe(Math.min(9, fixes.length));
    await page.keyboard.press('2');
    await expect.poll(() => page.getByTestId('fix-picker').count()).toBe(0);
    await expect
      .poll(async () => {
        const d = await detail(id);
        return fixes[1]!.changes.every((c) => human(d, c.key) === String(c.to));
      })
      .toBe(true);
    // The first fix was not applied with it.
    const after = await detail(id);
    expect(fixes[0]!.changes.every((c) => human(after, c.key) === String(c.to))).toBe(false);
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });

  it('Enter on a face with an error just made shows it and needs a second Enter; a setting turns that off', async () => {
    const id = faces.at(-2)!.id;
    const { page, problems } = await openPage(browser, reviewUrl(id));
    const current = () => page.getByTestId('review').getAttribute('data-face');
    await expect.poll(current, { timeout: 20_000 }).toBe(String(id));
    await page.getByRole('button', { name: 'Bald: yes' }).click();
    await page.getByRole('button', { name: 'Bangs: yes' }).click();
    await expect.poll(() => violation(page, 'bald-no-bangs').count()).toBe(1);
    await blur(page);

    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('confirm-reviewed').count()).toBe(1);
    await expect.poll(() => violation(page, 'bald-no-bangs').getAttribute('class')).toMatch(/blocking/);
    expect((await detail(id)).face.review).toBe('unreviewed');
    expect(await current()).toBe(String(id));
    await shootThemes(page, 'review-confirm');

    await page.keyboard.press('Enter');
    await expect.poll(async () => (await detail(id)).face.review).toBe('reviewed');
    await expect.poll(current).not.toBe(String(id));

    // Settings: turn the confirmation off; one Enter then marks a face with an open error reviewed.
    await page.goto(`${server.url}#/settings`);
    const box = page.getByTestId('settings-confirm-errors');
    await expect.poll(() => box.isChecked(), { timeout: 20_000 }).toBe(true);
    await box.uncheck();
    await expect
      .poll(
        async () =>
          (await api<{ settings: { confirmReviewedWithErrors?: boolean } }>('settings.get', {})).settings,
      )
      .toMatchObject({ confirmReviewedWithErrors: false });
    const other = faces.at(-3)!.id;
    await api('labels.apply', {
      faceId: other,
      changes: [
        { key: 'Bald', value: 1 },
        { key: 'Bangs', value: 1 },
      ],
    });
    await page.goto(reviewUrl(other));
    await expect.poll(() => violation(page, 'bald-no-bangs').count(), { timeout: 20_000 }).toBe(1);
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await detail(other)).face.review).toBe('reviewed');
    expect(await page.getByTestId('confirm-reviewed').count()).toBe(0);
    await api('settings.set', { confirmReviewedWithErrors: true });
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });
});
