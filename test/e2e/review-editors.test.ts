// The review screen's editors end to end (#26.4, #26.5, zoom): a UTKFace-named sample photo imported and analysed
// by the real server in browser mode, Chromium driving mouse and keyboard.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppInfo, Dataset, FaceDetail, FaceSummary, Job, Page as ApiPage } from '../../src/shared/api';
import { openStore } from '../../src/main/store/index';
import { seedFaces } from '../helpers/gallery-seed';
import { celebaRow, celebaValues, makeCeleba } from '../helpers/datasets/generate';
import { launchBrowser, openPage } from '../helpers/e2e/browser';
import { sampleFolder, tempDir } from '../helpers/e2e/samples';
import { ROOT, startServer, type RunningServer, callApi, waitForJob } from '../helpers/e2e/server';

const RESULTS = join(ROOT, 'test-results');
/** UTKFace's `age_gender_race_date`: 1 year old, male (0), Indian (3). */
const UTK_NAME = '1_0_3_20170109150557335.jpg';

let server: RunningServer;
let browser: Browser;
let dataset: Dataset;
let face: FaceSummary;
const photos = tempDir('utk');
const data = tempDir('data');
const out = tempDir('export');

const api = <T>(method: string, req: unknown): Promise<T> => callApi<T>(server, method, req);
const waitJob = (id: number): Promise<Job> => waitForJob<Job>(server, id, 240_000);
const detail = () => api<FaceDetail>('faces.get', { id: face.id });
const human = (d: FaceDetail, key: string) => d.labels.find((l) => l.key === key)?.human ?? null;
const value = (page: Page, key: string) => page.getByTestId(`attr-${key}`).getAttribute('data-value');

/** The screen in both themes, for a person to look at. */
async function shootThemes(page: Page, name: string): Promise<void> {
  for (const theme of ['dark', 'light']) {
    await page.evaluate(`document.documentElement.dataset.theme = '${theme}'`);
    await page.screenshot({ path: join(RESULTS, `${name}-${theme}.png`) });
  }
}

async function openReview(): Promise<{ page: Page; problems: string[] }> {
  const opened = await openPage(browser, `${server.url}#/review/${face.id}?ds=${dataset.id}`);
  await expect
    .poll(() => opened.page.getByTestId('review').getAttribute('data-face'), { timeout: 20_000 })
    .toBe(String(face.id));
  return opened;
}

beforeAll(async () => {
  const sample = sampleFolder(['sample2.jpg']);
  copyFileSync(join(sample.path, 'sample2.jpg'), join(photos.path, UTK_NAME));
  sample.remove();
  server = await startServer(data.path);
  browser = await launchBrowser();
  const created = await api<{ dataset: Dataset; job: Job }>('datasets.create', { root: photos.path });
  await waitJob(created.job.id);
  dataset = created.dataset;
  const imported = await api<Job>('datasets.importAnnotations', { datasetId: dataset.id, format: 'utkface' });
  expect(await waitJob(imported.id)).toMatchObject({ state: 'done' });
  // A UTKFace import marks the dataset as face crops; this "crop" is a whole photo of three people.
  await api('datasets.setFaceCrops', { id: dataset.id, faceCrops: 'off' });
  const analysed = await api<Job>('datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
  expect(await waitJob(analysed.id)).toMatchObject({ state: 'done' });
  const faces = (await api<ApiPage<FaceSummary>>('faces.list', { datasetId: dataset.id, limit: 100 })).items;
  const labelled = [];
  for (const f of faces) {
    const d = await api<FaceDetail>('faces.get', { id: f.id });
    if (d.labels.some((l) => l.key === 'age' && l.imported === '1')) labelled.push(f);
  }
  expect(labelled.length, 'the imported face').toBe(1);
  face = labelled[0]!;
  mkdirSync(RESULTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  photos.remove();
  data.remove();
  out.remove();
});

describe('categorical label editor (browser mode)', () => {
  it('sets gender, age, race and expression by keyboard and mouse, undoes the age, and exports the edits', async () => {
    const { page, problems } = await openReview();
    expect(await value(page, 'age')).toBe('1');
    expect(await value(page, 'race')).toBe('Indian');

    // Keyboard: the first row is gender; Space lists its values, 2 picks Female.
    await page.keyboard.press(' ');
    await expect.poll(() => page.getByTestId('field-editor').count()).toBe(1);
    const choices = page.getByTestId('field-choice');
    expect(await choices.evaluateAll((els) => els.map((e) => e.getAttribute('data-value')))).toEqual([
      'Male',
      'Female',
    ]);
    await page.keyboard.press('2');
    await expect.poll(() => value(page, 'gender')).toBe('Female');
    expect(await page.getByTestId('field-editor').count()).toBe(0);

    // Age: typing digits on the age row opens the age field with them; Enter saves.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('3');
    await expect.poll(() => page.getByTestId('age-input').inputValue()).toBe('3');
    await page.keyboard.type('4');
    await shootThemes(page, 'review-age-editor');
    await page.keyboard.press('Enter');
    await expect.poll(() => value(page, 'age')).toBe('34');
    // A typed age out of range is explained and saves nothing.
    await page.keyboard.press('5');
    await page.keyboard.type('00');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('review-message').innerText()).toContain('0 to 120');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('age-input').count()).toBe(0);
    expect(await value(page, 'age')).toBe('34');

    // Ctrl+Z undoes the age like any label edit.
    await page.keyboard.press('Control+z');
    await expect.poll(() => value(page, 'age')).toBe('1');

    // Expression (row 5) by keyboard: 4 is "happy".
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press(' ');
    await expect.poll(() => page.getByTestId('field-choice').count()).toBe(7);
    await page.keyboard.press('4');
    await expect.poll(() => value(page, 'expression')).toBe('happy');

    // Mouse: race from its list.
    await page.getByTestId('edit-race').click();
    await expect.poll(() => page.getByTestId('field-choice').count()).toBe(9);
    await shootThemes(page, 'review-race-picker');
    await page.locator('[data-testid=field-choice][data-value=White]').click();
    await expect.poll(() => value(page, 'race')).toBe('White');

    const d = await detail();
    expect([human(d, 'gender'), human(d, 'age'), human(d, 'race'), human(d, 'expression')]).toEqual([
      'Female',
      null,
      'White',
      'happy',
    ]);
    expect(d.history.map((e) => e.key)).toEqual(
      expect.arrayContaining(['gender', 'age', 'race', 'expression']),
    );

    // Exported like the yes / no attributes: UTKFace names carry age 1, Female (1), White (0).
    const job = await api<Job>('exports.start', { datasetId: dataset.id, format: 'utkface', out: out.path });
    expect(await waitJob(job.id)).toMatchObject({ state: 'done' });
    expect(readdirSync(out.path).filter((f) => f.endsWith('.jpg'))).toEqual(['1_1_0_20170109150557335.jpg']);
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });
});

describe('mask edits are never lost (browser mode)', () => {
  /** One hat stroke across the upper part of the stage with the brush. */
  async function paintHat(page: Page): Promise<void> {
    const canvas = page.getByTestId('mask-canvas');
    await page.getByTestId('tool-brush').click();
    await page.getByTestId('paint-class').selectOption({ label: 'hat' });
    const box = (await canvas.boundingBox())!;
    const y = box.y + box.height * 0.15;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, y, { steps: 10 });
    await page.mouse.up();
    await expect.poll(() => page.getByTestId('mask-save').isEnabled()).toBe(true);
    // Back to the view tool and the keyboard (the select would keep j / k).
    await page.getByTestId('tool-view').click();
    await page.evaluate('document.activeElement && document.activeElement.blur()');
  }
  const humanVersions = async () =>
    (await detail()).masks.filter((m) => m.source === 'human').map((m) => m.version);

  it('saves an unsaved stroke on j and on Esc, lists it in History, and Ctrl+Z / Ctrl+Shift+Z undo / redo it', async () => {
    const ids = (
      await api<ApiPage<FaceSummary>>('faces.list', { datasetId: dataset.id, limit: 100 })
    ).items.map((f) => f.id);
    const [away, back] = ids.indexOf(face.id) < ids.length - 1 ? ['j', 'k'] : ['k', 'j'];
    const { page, problems } = await openReview();
    const current = () => page.getByTestId('review').getAttribute('data-face');
    await expect
      .poll(() => page.getByTestId('mask-source').inputValue(), { timeout: 20_000 })
      .toMatch(/^derived/);
    await paintHat(page);

    await page.keyboard.press(away);
    await expect.poll(current).not.toBe(String(face.id));
    await expect.poll(humanVersions).toEqual([1]);
    await expect.poll(() => page.getByTestId('review-message').innerText()).toContain('saved as human v1');
    const saved = await detail();
    expect(saved.masks.find((m) => m.source === 'human')?.areas?.hat).toBeGreaterThan(0);
    expect(saved.history[0]).toMatchObject({ key: 'mask', old: null, new: '1' });

    await page.keyboard.press(back);
    await expect.poll(current).toBe(String(face.id));
    await expect.poll(() => page.getByTestId('mask-source').inputValue()).toBe('human:1');
    expect(await page.locator('[data-testid=history] li[data-key=mask]').first().innerText()).toContain(
      'human v1',
    );
    await shootThemes(page, 'review-mask-history');

    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('mask-source').inputValue()).toMatch(/^derived/);
    await expect.poll(humanVersions).toEqual([]);
    await page.keyboard.press('Control+Shift+Z');
    await expect.poll(() => page.getByTestId('mask-source').inputValue()).toBe('human:1');
    await expect.poll(humanVersions).toEqual([1]);

    // Esc back to the gallery saves the next stroke as v2.
    await paintHat(page);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('review').count()).toBe(0);
    await expect.poll(humanVersions).toEqual([2, 1]);
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });
});

/** The element's box once two reads 150 ms apart agree. */
async function settledBox(el: Locator) {
  let last = '';
  await expect
    .poll(async () => {
      const now = JSON.stringify(await el.boundingBox());
      const same = now === last;
      last = now;
      if (!same) await new Promise((r) => setTimeout(r, 150));
      return same;
    })
    .toBe(true);
  return JSON.parse(last) as { x: number; y: number; width: number; height: number };
}

describe('zoom and pan on the review photo (browser mode)', () => {
  it('zooms about the pointer with the wheel, pans by dragging, fits with 0 and zooms with + / -', async () => {
    const { page, problems } = await openReview();
    const stage = page.getByTestId('stage');
    const image = page.getByTestId('review-image');
    await expect
      .poll(async () => (await image.boundingBox())?.width ?? 0, { timeout: 20_000 })
      .toBeGreaterThan(50);
    // Measured once the layout has settled (the panels around the stage load after the image) ...
    const fitted = await settledBox(image);
    const s = (await stage.boundingBox())!;
    const [cx, cy] = [s.x + s.width / 2, s.y + s.height / 2];

    await page.mouse.move(cx, cy);
    await page.mouse.wheel(0, -500);
    await expect.poll(async () => Number(await stage.getAttribute('data-zoom'))).toBeGreaterThan(2);
    // ... and once the wheel's zoom has settled (it may arrive as several events).
    const zoomed = await settledBox(image);
    expect(zoomed.width / fitted.width).toBeCloseTo(Number(await stage.getAttribute('data-zoom')), 1);
    // The point under the pointer stays put.
    const u = (cx - fitted.x) / fitted.width;
    expect(Math.abs(zoomed.x + u * zoomed.width - cx)).toBeLessThan(3);
    await shootThemes(page, 'review-zoomed');

    await page.mouse.down();
    await page.mouse.move(cx + 80, cy + 40, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => Math.round((await image.boundingBox())!.x - zoomed.x)).toBe(80);
    expect(Math.round((await image.boundingBox())!.y - zoomed.y)).toBe(40);

    await page.keyboard.press('0');
    await expect.poll(() => stage.getAttribute('data-zoom')).toBe('1.00');
    const again = (await image.boundingBox())!;
    expect([again.x, again.y, again.width].map(Math.round)).toEqual(
      [fitted.x, fitted.y, fitted.width].map(Math.round),
    );
    await page.keyboard.press('+');
    await expect.poll(() => stage.getAttribute('data-zoom')).toBe('1.25');
    await page.keyboard.press('-');
    await expect.poll(() => stage.getAttribute('data-zoom')).toBe('1.00');
    // On a narrow window the opacity slider stays inside the overlay panel.
    await page.setViewportSize({ width: 1000, height: 700 });
    const panel = page.getByTestId('overlay-opacity').locator('xpath=ancestor::section[1]');
    await expect
      .poll(async () => {
        const [r, p] = [await page.getByTestId('overlay-opacity').boundingBox(), await panel.boundingBox()];
        return r && p ? Math.round(Math.min(p.x + p.width, 1000) - (r.x + r.width)) : -1;
      })
      .toBeGreaterThanOrEqual(0);
    // ... and the violations column too.
    const v = (await page.getByTestId('violations').boundingBox())!;
    expect(v.x + v.width).toBeLessThanOrEqual(1000);
    await shootThemes(page, 'review-narrow');
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });
});

describe('face tiles (browser mode)', () => {
  it('focuses on click, opens on double-click, shows the reviewed badge and the end of long names', async () => {
    await api('reviews.set', { faceIds: [face.id], status: 'reviewed' });
    const { page, problems } = await openPage(browser, `${server.url}#/faces?ds=${dataset.id}`);
    const tile = page.locator(`[data-testid=face-tile][data-face="${face.id}"]`);
    await expect.poll(() => tile.count(), { timeout: 20_000 }).toBe(1);
    expect(await tile.getByTestId('tile-review').innerText()).toBe('✓ reviewed');
    expect(await tile.locator('.tail').innerText()).toBe('557335.jpg');
    expect(await tile.locator('.tail').isVisible()).toBe(true);
    // Chips: the UTKFace name's labels (age 1) stand in place of the predictions; expression is predicted.
    expect(await tile.locator('.chip[data-key=age]').innerText()).toBe('1');
    expect(await tile.locator('.chip[data-key=age]').getAttribute('title')).toBe('age: 1 (label)');
    // (The editor test above may have labelled the expression: a label or a prediction with its confidence.)
    expect(await tile.locator('.chip[data-key=expression]').getAttribute('title')).toMatch(
      /^expression: \w+ \((label|prediction \d+ %)\)$/,
    );
    await shootThemes(page, 'faces-tiles');

    await tile.locator('button[data-tile]').click();
    await expect.poll(() => page.locator(':focus').getAttribute('data-index')).not.toBeNull();
    expect(await page.getByTestId('review').count()).toBe(0);
    await tile.locator('button[data-tile]').dblclick();
    await expect
      .poll(() => page.getByTestId('review').getAttribute('data-face'), { timeout: 20_000 })
      .toBe(String(face.id));
    await api('reviews.set', { faceIds: [face.id], status: 'unreviewed' });
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });
});

describe('images screen (browser mode)', () => {
  it("draws the image's face boxes in the preview and links each to its review", async () => {
    const faces = (await api<ApiPage<FaceSummary>>('faces.list', { datasetId: dataset.id, limit: 100 }))
      .items;
    const { page, problems } = await openPage(browser, `${server.url}#/images?ds=${dataset.id}`);
    await expect.poll(() => page.getByTestId('thumb').count(), { timeout: 20_000 }).toBe(1);
    await page.getByTestId('thumb').click();
    await expect.poll(() => page.getByTestId('preview').count()).toBe(1);
    await expect.poll(() => page.getByTestId('preview-box').count()).toBe(faces.length);
    expect(await page.getByTestId('preview-face-link').count()).toBe(faces.length);
    await shootThemes(page, 'images-preview-faces');
    await page.getByTestId('preview-face-link').first().click();
    await expect
      .poll(() => page.getByTestId('review').getAttribute('data-face'), { timeout: 20_000 })
      .toBe(String(faces[0]!.id));
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });
});

describe('stale and confusing states (browser mode, #26.7)', () => {
  it('says the labels are enough to train when two faces have Smiling yes and no', async () => {
    const ids = (await api<ApiPage<FaceSummary>>('faces.list', { datasetId: dataset.id, limit: 100 })).items;
    for (const [i, f] of ids.slice(0, 2).entries()) {
      await api('labels.apply', { faceId: f.id, changes: [{ key: 'Smiling', value: i === 0 ? 1 : -1 }] });
    }
    const { page, problems } = await openPage(browser, `${server.url}#/stats?ds=${dataset.id}`);
    await expect.poll(() => page.getByTestId('learning-ready').count(), { timeout: 20_000 }).toBe(1);
    const text = await page.getByTestId('learning-ready').innerText();
    expect(text).toContain('2 faces carry CelebA attribute labels');
    expect(text).toContain('enough to train');
    expect(await page.getByTestId('learning-empty').innerText()).not.toContain('Training needs at least');
    // The agreement table: the fields first, then the labelled attributes; the 39 others in one line.
    await expect.poll(() => page.getByTestId('agreement-key').count()).toBe(5);
    expect(await page.getByTestId('agreement-key').allInnerTexts()).toEqual([
      'age (bucket)',
      'gender',
      'race',
      'expression',
      'Smiling',
    ]);
    expect(await page.getByTestId('agreement-unlabelled').innerText()).toMatch(
      /^No labels for 39 more attributes/,
    );
    expect(await page.getByTestId('heatmap-scale').innerText()).toContain('always together');
    await page.getByTestId('agreement').scrollIntoViewIfNeeded();
    await shootThemes(page, 'stats-agreement');
    await shootThemes(page, 'stats-learning-ready');
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });

  it('explains the instruction export scope and counts and lists the unverified faces', async () => {
    const { page, problems } = await openPage(browser, `${server.url}#/export?ds=${dataset.id}`);
    await page.getByTestId('export-format').selectOption('instructions');
    expect(await page.getByTestId('export-scope-note').innerText()).toContain('verified values only');
    const dest = tempDir('instructions');
    await page.getByTestId('export-out').fill(dest.path);
    await page.getByTestId('export-start').click();
    await expect
      .poll(() => page.getByTestId('export-job').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('done');
    await expect.poll(() => page.getByTestId('count-unverified').count()).toBe(1);
    expect(await page.getByTestId('count-unverified').innerText()).toContain('not marked reviewed');
    expect(await page.getByTestId('count-blocked').innerText()).toContain('error rule');
    await shootThemes(page, 'export-instructions');
    // The status bar sits at the window's bottom however short the screen is.
    const bar = (await page.getByTestId('status-bar').boundingBox())!;
    expect(Math.round(bar.y + bar.height)).toBe(page.viewportSize()!.height);
    await page.getByTestId('show-unverified').click();
    await expect.poll(() => page.getByTestId('face-grid').count(), { timeout: 10_000 }).toBe(1);
    expect(decodeURIComponent(new URL(page.url()).hash)).toContain('unreviewed');
    dest.remove();
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });

  it('reads the library card counts again on show (faces added by another process)', async () => {
    const { page, problems } = await openPage(browser, `${server.url}#/library`);
    const before = (await api<ApiPage<FaceSummary>>('faces.list', { datasetId: dataset.id, limit: 1 })).total;
    await expect
      .poll(() => page.getByTestId('stat-faces').first().innerText(), { timeout: 20_000 })
      .toBe(String(before));
    await page.getByTestId('nav-faces').click();
    await expect.poll(() => page.getByTestId('face-grid').count()).toBe(1);
    // As a `faceinsight analyze` in a terminal would: faces written by another process, no event here.
    const info = await api<AppInfo>('app.info', {});
    const store = openStore(info.dbPath);
    seedFaces(store, dataset.id, 4);
    store.close();
    await page.getByTestId('nav-library').click();
    await expect.poll(() => page.getByTestId('stat-faces').first().innerText()).toBe(String(before + 4));
    // Finished jobs say how long they took; the list keeps the last 5 and hides the rest behind a button.
    const finished = page.locator('[data-testid=library-job][data-state=done]');
    const extra = tempDir('json');
    const json = await api<Job>('exports.start', { datasetId: dataset.id, format: 'json', out: extra.path });
    expect(await waitJob(json.id)).toMatchObject({ state: 'done' });
    extra.remove();
    const jobs = (await api<ApiPage<Job>>('jobs.list', { limit: 12 })).items;
    expect(jobs.length).toBeGreaterThan(5);
    await expect.poll(() => finished.count()).toBe(5);
    for (const d of await finished.getByTestId('job-duration').allInnerTexts()) expect(d).toMatch(/^took \d/);
    await page.getByTestId('jobs-older').click();
    await expect.poll(() => finished.count()).toBe(jobs.filter((j) => j.state === 'done').length);
    await shootThemes(page, 'library-jobs');
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });
});

describe('importing a release (browser mode)', () => {
  /** A CelebA release: img_align_celeba/ and Anno/ side by side; the attributes name one image the folder lacks. */
  async function release(): Promise<{ path: string; images: string; remove(): void }> {
    const dir = tempDir('celeba');
    const fx = await makeCeleba(dir.path, 3);
    renameSync(join(fx.anno, 'Anno'), join(dir.path, 'Anno'));
    const attr = join(dir.path, 'Anno', 'list_attr_celeba.txt');
    const lines = readFileSync(attr, 'utf8').trimEnd().split('\n');
    lines[0] = String(Number(lines[0]) + 1);
    writeFileSync(attr, [...lines, celebaRow('000999.jpg', celebaValues(0))].join('\n') + '\n');
    return { ...dir, images: fx.root };
  }

  it('offers the release beside an opened folder, imports it and lists the warnings with their lines', async () => {
    const rel = await release();
    const { page, problems } = await openPage(browser, `${server.url}#/library`);
    await page.getByLabel('Folder to open').fill(rel.images);
    await page.getByRole('button', { name: 'Open folder' }).click();
    await expect.poll(() => page.getByTestId('import-offer').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByTestId('import-offer').innerText()).toContain('list_attr_celeba.txt');
    await shootThemes(page, 'library-import-offer');
    await page.getByTestId('import-offer-celeba').click();
    const summary = page.getByTestId('import-summary').first();
    await expect.poll(() => summary.count(), { timeout: 60_000 }).toBe(1);
    expect(await summary.innerText()).toMatch(/3\s+faces/);
    await page.getByTestId('import-warnings-show').first().click();
    await expect
      .poll(() => page.getByTestId('import-warnings').first().innerText())
      .toMatch(/list_attr_celeba\.txt:6 image "000999\.jpg" is not in the folder/);
    await shootThemes(page, 'library-import-summary');
    rel.remove();
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });

  it('imports a dataset from the library\'s "Import dataset…" with the release found beside the folder', async () => {
    const rel = await release();
    const { page, problems } = await openPage(browser, `${server.url}#/library`);
    await page.getByTestId('library-import').click();
    await page.getByTestId('import-folder').fill(rel.images);
    await page.getByTestId('import-format').selectOption('celeba');
    await page.getByTestId('import-dataset-start').click();
    const ds = async () =>
      (await api<{ items: Dataset[] }>('datasets.list', {})).items.find((d) => d.root === rel.images);
    await expect.poll(async () => (await ds())?.id ?? null, { timeout: 20_000 }).not.toBeNull();
    const id = (await ds())!.id;
    await expect
      .poll(
        async () =>
          (await api<ApiPage<Job>>('jobs.list', { limit: 50 })).items.find(
            (j) => j.datasetId === id && j.kind === 'annotations',
          )?.state,
        { timeout: 60_000 },
      )
      .toBe('done');
    expect((await api<ApiPage<FaceSummary>>('faces.list', { datasetId: id, limit: 10 })).total).toBe(3);
    rel.remove();
    expect(problems, server.output()).toEqual([]);
    await page.context().close();
  });
});
