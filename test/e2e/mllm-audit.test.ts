// Stats -> MLLM audit in the UI (issue #31): an endpoint saved in Settings (its key typed once, never shown),
// the audit run from Stats against a scripted chat-completions server (a test double of the remote model), the
// report's numbers, the wrong faces opened in the gallery, and the answers in the review checklist.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppInfo, Dataset, Job } from '../../src/shared/api';
import { openStore } from '../../src/main/store/index';
import { launchBrowser, openPage } from '../helpers/e2e/browser';
import { tempDir } from '../helpers/e2e/samples';
import { ROOT, startServer, type RunningServer, callApi, waitForJob } from '../helpers/e2e/server';
import {
  faceColour,
  startScriptedMllmServer,
  type ScriptedMllmServer,
} from '../helpers/scripted-mllm-server';

const KEY = 'sk-e2e-5d4c3b2a1f0e-secret';
/** Verified gender labels; the scripted model answers "male" for face 2, so it is wrong there. */
const GENDERS = ['Male', 'Female', 'Female'];

let server: RunningServer;
let mllm: ScriptedMllmServer;
let browser: Browser;
let dataset: Dataset;
let page: Page;
let problems: string[];
let faceIds: number[] = [];
const photos = tempDir('mllm-photos');
const data = tempDir('mllm-data');

const api = <T>(method: string, req: unknown): Promise<T> => callApi<T>(server, method, req);
const url = (path: string) => `${server.url}#/${path}${path.includes('?') ? '&' : '?'}ds=${dataset.id}`;

beforeAll(async () => {
  mkdirSync(photos.path, { recursive: true });
  for (let i = 0; i < GENDERS.length; i++) {
    await sharp({ create: { width: 64, height: 64, channels: 3, background: faceColour(i) } })
      .jpeg({ quality: 95 })
      .toFile(join(photos.path, `p${i}.jpg`));
  }
  server = await startServer(data.path);
  const created = await api<{ dataset: Dataset; job: Job }>('datasets.create', { root: photos.path });
  expect((await waitForJob<Job>(server, created.job.id, 120_000)).state).toBe('done');
  dataset = created.dataset;
  const { dbPath } = await api<AppInfo>('app.info', {});
  await server.stop();

  // One whole-image face per photo with a verified (reviewed) human gender label.
  const store = openStore(dbPath);
  store.write(() => {
    const images = store.images.page({ datasetId: dataset.id, status: 'ok', limit: 10 }).items;
    images.sort((a, b) => a.relPath.localeCompare(b.relPath));
    faceIds = images.map((img, i) => {
      const id = store.faces.insert({
        imageId: img.id,
        idx: 0,
        x: 0,
        y: 0,
        w: 64,
        h: 64,
        detScore: null,
        source: 'imported',
        landmarks: null,
      });
      store.labels.setImported(id, 'gender', GENDERS[i]!);
      return id;
    });
  });
  store.close();
  server = await startServer(data.path);
  await api('reviews.set', { faceIds, status: 'reviewed' });
  mllm = await startScriptedMllmServer((r) => ({ text: r.face === 1 ? 'Female.' : 'male' }));
  browser = await launchBrowser();
  ({ page, problems } = await openPage(browser, url('settings')));
}, 300_000);

afterAll(async () => {
  await page?.context().close();
  await browser?.close();
  await server?.stop();
  await mllm?.close();
  photos.remove();
  data.remove();
});

describe('MLLM audit in the UI (browser mode)', () => {
  it('saves an endpoint in Settings; the key is stored, never shown', async () => {
    await page.getByTestId('mllm-f-id').fill('scripted');
    await page.getByTestId('mllm-f-url').fill(mllm.url);
    await page.getByTestId('mllm-f-model').fill('scripted-vl');
    await page.getByTestId('mllm-f-key').fill(KEY);
    await page.getByTestId('mllm-f-save').click();
    const row = page.getByTestId('mllm-endpoint-row');
    await expect
      .poll(() => row.innerText(), { timeout: 10_000 })
      .toMatch(/scripted.*scripted-vl.*key stored/s);
    expect(await page.getByTestId('mllm-f-key').inputValue()).toBe('');
    expect(await page.content()).not.toContain(KEY);
  });

  it('runs the audit from Stats and shows accuracy, consistency and the wrong faces', async () => {
    await page.goto(url('stats'));
    const audit = page.getByTestId('mllm-audit');
    await audit.waitFor({ timeout: 20_000 });
    for (const t of ['celeba', 'age', 'expression', 'race'])
      await page.getByTestId(`mllm-task-${t}`).uncheck();
    await page.getByTestId('mllm-run').click();
    await expect
      .poll(() => page.getByTestId('mllm-job').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('done');
    const row = page.locator('[data-testid="mllm-row"][data-key="gender"]');
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    expect(await row.getByTestId('mllm-accuracy').innerText()).toBe('66.7 %');
    expect(await page.getByTestId('mllm-consistency').innerText()).toMatch(/0\.0 % of 3 faces/);
    expect(mllm.requests).toHaveLength(3);
    expect(mllm.requests.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await audit.screenshot({ path: join(ROOT, 'test-results', 'mllm-audit.png') });

    await row.getByTestId('mllm-wrong').click();
    await expect.poll(() => decodeURIComponent(new URL(page.url()).hash)).toContain('"mllmWrong"');
    await expect.poll(() => page.getByTestId('face-tile').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByTestId('face-tile').getAttribute('data-face')).toBe(String(faceIds[2]));
    // The sidebar names the filter; a click on it lifts it.
    const filter = page.getByTestId('likely-wrong-mllm');
    expect(await filter.innerText()).toContain('scripted-vl wrong on gender');
    await filter.click();
    await expect.poll(() => page.getByTestId('face-tile').count(), { timeout: 20_000 }).toBe(3);
  });

  it("shows the model's answer in the review checklist beside the other sources", async () => {
    await page.goto(`${server.url}#/review/${faceIds[2]}?ds=${dataset.id}`);
    const answer = page.locator('[data-testid="attr-gender"] [data-testid="mllm-answer"]');
    await expect.poll(() => answer.innerText(), { timeout: 20_000 }).toMatch(/scripted-vl\s+Male/);
    await page.screenshot({ path: join(ROOT, 'test-results', 'mllm-review.png') });
    expect(problems).toEqual([]);
  });

  it('puts a second model beside the first', async () => {
    await api('mllm.saveEndpoint', {
      endpoint: {
        id: 'other',
        baseUrl: mllm.url,
        model: 'other-vl',
        timeoutMs: 60_000,
        concurrency: 2,
        rpm: 0,
        imageSize: 64,
        structured: true,
      },
    });
    await page.goto(url('stats'));
    await page.getByTestId('mllm-audit').waitFor({ timeout: 20_000 });
    await page.getByTestId('mllm-endpoint').selectOption('other');
    for (const t of ['celeba', 'age', 'expression', 'race'])
      await page.getByTestId(`mllm-task-${t}`).uncheck();
    await page.getByTestId('mllm-run').click();
    const compare = page.getByTestId('mllm-compare');
    await expect.poll(() => compare.count(), { timeout: 60_000 }).toBe(1);
    expect(await compare.locator('th').allInnerTexts()).toEqual(['', 'mllm:other-vl', 'mllm:scripted-vl']);
    expect(await compare.locator('tr[data-key="gender"] td').allInnerTexts()).toEqual([
      'gender accuracy',
      '66.7 %',
      '66.7 %',
    ]);
    // The second endpoint asks for JSON answers.
    expect(mllm.requests.slice(3).every((r) => r.structured)).toBe(true);
    expect(problems).toEqual([]);
  });
});
