// Team mode end to end: `serve --team` with three people's tokens; the review screen's History names who made each
// edit, review status and take-over, another reviewer's claim refuses an edit until an admin takes the face over,
// and Stats shows the double-review share (an admin's to change) and the agreement between the two reviewers of
// each face.
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
/** The same server as another person (their token on API calls). */
let asBob: RunningServer;
let asCarol: RunningServer;
const carol = { url: '' };

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
  const carolToken = addUser('carol', 'reviewer');
  alice = await startServer(data.path, 60_000, { args: ['--team'], token: aliceToken });
  // bob's view of the same server: his token in the URL the browser opens.
  Object.assign(bob, { url: `${alice.origin}/?token=${bobToken}` });
  Object.assign(carol, { url: `${alice.origin}/?token=${carolToken}` });
  asBob = { ...alice, token: bobToken };
  asCarol = { ...alice, token: carolToken };
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

/** The analysed dataset the tests share (created once, by whichever test runs first). */
/** The face carol was handed in the claim test (its History holds alice's take-over edit). */
let claimed = 0;
let analysed: Promise<{ datasetId: number; faces: number[] }> | null = null;
function dataset(): Promise<{ datasetId: number; faces: number[] }> {
  analysed ??= (async () => {
    const created = await callApi<{ dataset: Dataset; job: Job }>(alice, 'datasets.create', {
      root: photos.path,
    });
    await waitForJob(alice, created.job.id, 120_000);
    const job = await callApi<Job>(alice, 'datasets.analyze', { datasetId: created.dataset.id, ep: 'cpu' });
    expect(await waitForJob<Job>(alice, job.id, 240_000)).toMatchObject({ state: 'done' });
    const faces = (
      await callApi<ApiPage<FaceSummary>>(alice, 'faces.list', { datasetId: created.dataset.id, limit: 100 })
    ).items;
    return { datasetId: created.dataset.id, faces: faces.map((f) => f.id).sort((a, b) => a - b) };
  })();
  return analysed;
}

/** Opens a person's browser on a face's review screen and waits for the face. */
async function openReview(url: string, datasetId: number, id: number) {
  const opened = await openPage(browser, `${url}#/review/${id}?ds=${datasetId}`);
  await expect
    .poll(() => opened.page.getByTestId('review').getAttribute('data-face'), { timeout: 20_000 })
    .toBe(String(id));
  return opened;
}

describe('team mode (browser mode)', () => {
  it("shows in History who made each edit: the token's user", async () => {
    const { datasetId, faces } = await dataset();
    const id = faces[0]!;
    await callApi(alice, 'labels.apply', { faceId: id, changes: [{ key: 'Eyeglasses', value: 1 }] });

    const { page, problems } = await openReview(bob.url, datasetId, id);
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

  it('refuses an edit of a face another reviewer holds, naming them, until an admin takes it over', async () => {
    const { datasetId } = await dataset();
    // carol is handed a face by the queue: it is hers under a lease.
    const { item } = await callApi<{ item: { face: { id: number } } | null }>(asCarol, 'learning.next', {
      datasetId,
      order: 'useful',
    });
    const id = item!.face.id;
    claimed = id;

    const asB = await openReview(bob.url, datasetId, id);
    const notice = asB.page.getByTestId('claim-notice');
    await expect.poll(() => notice.innerText(), { timeout: 10_000 }).toMatch(/carol is reviewing this face/);
    expect(await notice.innerText()).toMatch(/an admin may take it over/);
    expect(await asB.page.getByTestId('take-over').count()).toBe(0);
    const before = await asB.page.getByTestId('history').locator('li').count();
    await asB.page.getByRole('button', { name: 'Smiling: no' }).click();
    await expect
      .poll(() => asB.page.getByTestId('review-message').innerText(), { timeout: 10_000 })
      .toMatch(
        new RegExp(
          `^face ${id} is being reviewed by carol \\(claim runs \\d+ more minutes?\\): nothing was changed$`,
        ),
      );
    expect(await asB.page.getByTestId('history').locator('li').count()).toBe(before);
    await asB.page.screenshot({ path: join(RESULTS, 'team-claim-refused.png') });
    expect(asB.problems).toEqual([]);
    await asB.page.close();

    // alice (an admin) sees the same notice with Take over; after it her edit goes through and History names her.
    const asA = await openReview(alice.url, datasetId, id);
    await expect.poll(() => asA.page.getByTestId('claim-notice').count(), { timeout: 10_000 }).toBe(1);
    await asA.page.getByTestId('take-over').click();
    await expect.poll(() => asA.page.getByTestId('claim-notice').count(), { timeout: 10_000 }).toBe(0);
    await asA.page.getByRole('button', { name: 'Smiling: no' }).click();
    await expect
      .poll(() => asA.page.getByTestId('history').locator('li').first().innerText(), { timeout: 10_000 })
      .toMatch(/Smiling[\s\S]*alice/);
    // The take-over itself is in History, below alice's edit, naming both people.
    const rows = asA.page.getByTestId('history').locator('li');
    expect((await rows.nth(1).innerText()).replace(/\s+/g, ' ')).toMatch(
      /^alice took the face over from carol \d\d:\d\d$/,
    );
    expect(await rows.nth(1).getAttribute('data-kind')).toBe('takeover');
    await asA.page.getByTestId('history').screenshot({ path: join(RESULTS, 'team-history-takeover.png') });
    // carol's claim is gone: her edit is now refused naming alice.
    await expect(
      callApi(asCarol, 'labels.apply', { faceId: id, changes: [{ key: 'Smiling', value: 1 }] }),
    ).rejects.toThrow(/being reviewed by alice/);
    expect(asA.problems).toEqual([]);
    await asA.page.close();
    // Setting a status ends alice's claim (the face is free for the agreement test below).
    await callApi(alice, 'reviews.set', { faceIds: [id], status: 'skipped' });
  }, 300_000);

  it("shows the double-review share (an admin's to change) and the reviewers' kappa in Stats", async () => {
    const { datasetId, faces: all } = await dataset();
    // Four faces no other test edited (the first has alice's and bob's edits, the claimed one alice's).
    const faces = all.filter((f) => f !== all[0] && f !== claimed).slice(0, 4);
    expect(faces).toHaveLength(4);
    await callApi(alice, 'team.settings', { datasetId, doubleReview: 1 });
    // Smiling over 4 faces, bob then carol: yes/yes, yes/no, no/no, no/no -> p_o = 3/4,
    // p_e = 2/4 * 1/4 + 2/4 * 3/4 = 1/2, kappa = (3/4 - 1/2) / (1 - 1/2) = 0.5.
    const first = [1, 1, -1, -1];
    const second = [1, -1, -1, -1];
    for (const [who, values] of [
      [asBob, first],
      [asCarol, second],
    ] as const) {
      for (const [i, faceId] of faces.entries()) {
        await callApi(who, 'labels.apply', { faceId, changes: [{ key: 'Smiling', value: values[i] }] });
        await callApi(who, 'reviews.set', { faceIds: [faceId], status: 'reviewed' });
      }
    }

    const asA = await openPage(browser, `${alice.url}#/stats?ds=${datasetId}`);
    const section = asA.page.getByTestId('team-review');
    const smiling = section.locator('[data-testid="kappa-row"][data-key="Smiling"]');
    await expect.poll(() => smiling.count(), { timeout: 20_000 }).toBe(1);
    expect((await smiling.locator('td').allInnerTexts()).map((t) => t.trim())).toEqual([
      'Smiling',
      '4',
      '75.0',
      '0.50',
      'moderate',
    ]);
    expect(await section.getByTestId('kappa-explain').innerText()).toMatch(
      /4 faces reviewed by two people \(bob, carol\)[\s\S]*not blind: the second reviewer sees the first one's labels/,
    );
    // A share out of range is refused beside the field; 25 % is saved.
    const share = section.getByTestId('double-review');
    expect(await share.inputValue()).toBe('100');
    await share.fill('150');
    await section.getByTestId('double-review-save').click();
    await expect
      .poll(() => section.getByTestId('double-review-error').innerText(), { timeout: 10_000 })
      .toBe('team.settings: doubleReview: expected a share from 0 to 1 (0 % to 100 %)');
    expect(await share.getAttribute('aria-invalid')).toBe('true');
    await section.screenshot({ path: join(RESULTS, 'team-stats-error.png') });
    await share.fill('25');
    await section.getByTestId('double-review-save').click();
    await expect.poll(() => section.getByTestId('double-review-saved').count(), { timeout: 10_000 }).toBe(1);
    expect(await section.getByTestId('double-review-error').count()).toBe(0);
    expect(await callApi(asBob, 'team.settings', { datasetId })).toEqual({ doubleReview: 0.25 });
    await section.screenshot({ path: join(RESULTS, 'team-stats.png') });
    expect(asA.problems).toEqual([]);
    await asA.page.close();

    // bob (a reviewer) reads the share and cannot change it: no form, and main refuses the call.
    const asB = await openPage(browser, `${bob.url}#/stats?ds=${datasetId}`);
    const readonly = asB.page.getByTestId('double-review-readonly');
    await expect
      .poll(async () => (await readonly.innerText()).replace(/\s+/g, ' '), { timeout: 20_000 })
      .toMatch(/Double review: 25 % of faces go to two different reviewers \(an admin sets this\)/);
    expect(await asB.page.getByTestId('double-review-form').count()).toBe(0);
    await expect(callApi(asBob, 'team.settings', { datasetId, doubleReview: 0.5 })).rejects.toThrow(
      /"code":"forbidden".*team.settings is for admins; bob is a reviewer/,
    );
    expect(asB.problems).toEqual([]);
    await asB.page.close();

    // History of face 2 lists both review events, each with its author, interleaved by time with the edits.
    const h = await openReview(bob.url, datasetId, faces[1]!);
    const rows = h.page.getByTestId('history').locator('li');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(4);
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    expect(texts[0]).toMatch(/^reviewed signed off \d+ labels? carol \d\d:\d\d Smiling: no/);
    expect(texts[1]).toMatch(/^Smiling yes → no carol/);
    expect(texts[2]).toMatch(/^reviewed signed off \d+ labels? bob \d\d:\d\d Smiling: yes/);
    expect(texts[3]).toMatch(/^Smiling (none|—|no value) → yes bob/);
    await h.page.getByTestId('history').screenshot({ path: join(RESULTS, 'team-history-reviews.png') });
    expect(h.problems).toEqual([]);
    await h.page.close();
  }, 300_000);
});
