// Review backend on analysed demo photos: face / mask assets, label steps with undo / redo, proposals, masks.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, FaceDetail, FaceSummary, Job, LabelProposal, Page } from '../../../src/shared/api';
import { AppError } from '../../../src/shared/errors';
import { PARSING_CLASSES } from '../../../src/shared/taxonomy';
import type { AppHost } from '../../../src/main/app';
import { startHttpServer, type HttpServer } from '../../../src/main/transports/http';
import { copySamples, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';

let host: AppHost;
let http: HttpServer;
let cleanup: () => void;
let dataset: Dataset;
let faces: FaceSummary[];

const get = (id: number) => call<FaceDetail>(host, 'faces.get', { id });
const human = (d: FaceDetail, key: string) => d.labels.find((l) => l.key === key)?.human ?? null;
const rules = (d: FaceDetail) => d.violations.filter((v) => v.subject === 'labels').map((v) => v.ruleKey);
const asset = (path: string) =>
  fetch(`http://127.0.0.1:${http.port}${path}${path.includes('?') ? '&' : '?'}token=${http.token}`);
/** Class ids of a mask PNG: channel 0 (the stored PNGs repeat the id in every channel). */
function labelIds(bytes: ArrayBuffer): { width: number; height: number; ids: Uint8Array } {
  const png = decode(new Uint8Array(bytes));
  const ids = new Uint8Array(png.width * png.height);
  for (let i = 0; i < ids.length; i++) ids[i] = png.data[i * png.channels] as number;
  return { width: png.width, height: png.height, ids };
}
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as AppError,
  );

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  copySamples(join(t.dir, 'photos'), ['sample1.jpg', 'sample2.jpg']);
  host = await startTestApp(join(t.dir, 'data'));
  const staticDir = join(t.dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>FaceInsight Studio</title>');
  http = await startHttpServer(host, { staticDir, port: 0 });
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
    root: join(t.dir, 'photos'),
  });
  await waitForJob(host, created.job.id);
  dataset = created.dataset;
  const job = await call<Job>(host, 'datasets.analyze', { datasetId: dataset.id, ep: 'cpu' });
  expect(await waitForJob(host, job.id, 240_000)).toMatchObject({ state: 'done' });
  faces = (await call<Page<FaceSummary>>(host, 'faces.list', { datasetId: dataset.id, limit: 100 })).items;
  expect(faces.length).toBeGreaterThanOrEqual(2);
}, 300_000);
afterAll(async () => {
  await http?.close();
  await host?.close();
  cleanup();
});

describe('face and mask assets', () => {
  it('serves a cached JPEG crop of a face, with margin, over HTTP', async () => {
    const f = faces[0]!;
    const res = await asset(`/assets/face/${f.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(256);
    expect(Math.min(meta.width ?? 0, meta.height ?? 0)).toBeGreaterThan(32);
    const again = await host.resolveAsset('face', f.id);
    expect(again.path).toContain(join('thumbs', 'faces'));
    expect((await asset(`/assets/face/999999`)).status).toBe(404);
  });

  it('serves the mask PNG from the database as canonical class ids, by source and version', async () => {
    const d = await get(faces[0]!.id);
    const m = d.masks[0]!;
    const res = await asset(`/assets/mask/${d.face.id}?source=${m.source}&version=${m.version}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = labelIds(await res.arrayBuffer());
    const counts = new Map<number, number>();
    for (const v of png.ids) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect(Math.max(...counts.keys())).toBeLessThan(PARSING_CLASSES.length);
    const skin = (counts.get(PARSING_CLASSES.indexOf('skin')) ?? 0) / png.ids.length;
    expect(skin).toBeCloseTo(m.areas?.skin ?? -1, 5);
    expect((await asset(`/assets/mask/${d.face.id}?source=human`)).status).toBe(404);
    expect((await asset(`/assets/mask/${d.face.id}?source=nope`)).status).toBe(403);
  });
});

describe('label steps, undo and redo', () => {
  it('applies several labels as one step, undoes and redoes it, and a new edit clears redo', async () => {
    const id = faces[0]!.id;
    await call(host, 'labels.set', { faceId: id, key: 'Smiling', value: 1 });
    let d = await call<FaceDetail>(host, 'labels.apply', {
      faceId: id,
      changes: [
        { key: 'Bald', value: 1 },
        { key: 'Bangs', value: '1' },
      ],
    });
    expect([human(d, 'Bald'), human(d, 'Bangs')]).toEqual(['1', '1']);
    expect(rules(d)).toContain('bald-no-bangs');

    d = await call<FaceDetail>(host, 'labels.undo', { faceId: id });
    expect([human(d, 'Bald'), human(d, 'Bangs'), human(d, 'Smiling')]).toEqual([null, null, '1']);
    expect(rules(d)).not.toContain('bald-no-bangs');

    d = await call<FaceDetail>(host, 'labels.redo', { faceId: id });
    expect([human(d, 'Bald'), human(d, 'Bangs')]).toEqual(['1', '1']);
    expect(rules(d)).toContain('bald-no-bangs');

    // The violation's cheapest fix is one labels.apply; it clears the violation.
    const fix = d.violations.find((v) => v.ruleKey === 'bald-no-bangs')!.fixes[0]!;
    d = await call<FaceDetail>(host, 'labels.apply', {
      faceId: id,
      changes: fix.changes.map((c) => ({ key: c.key, value: c.to })),
    });
    expect(rules(d)).not.toContain('bald-no-bangs');
    expect((await failure(call(host, 'labels.redo', { faceId: id })))?.code).toBe('conflict');

    // Undo walks back through the fix, the pair, then the single labels.set.
    await call(host, 'labels.undo', { faceId: id });
    await call(host, 'labels.undo', { faceId: id });
    d = await call<FaceDetail>(host, 'labels.undo', { faceId: id });
    expect(human(d, 'Smiling')).toBeNull();
    expect((await failure(call(host, 'labels.undo', { faceId: id })))?.code).toBe('conflict');
    expect(d.history.length).toBeGreaterThanOrEqual(8);
  });

  it('refuses a step with a bad value whole, naming the change', async () => {
    const id = faces[1]!.id;
    const err = await failure(
      call(host, 'labels.apply', {
        faceId: id,
        changes: [
          { key: 'Bald', value: 1 },
          { key: 'Bangs', value: 7 },
        ],
      }),
    );
    expect(err).toMatchObject({ code: 'invalid_request', where: { field: 'changes.1.value' } });
    expect(human(await get(id), 'Bald')).toBeNull();
  });

  it('sets the review status of several faces in one call', async () => {
    const ids = faces.map((f) => f.id);
    expect(await call(host, 'reviews.set', { faceIds: ids, status: 'flagged' })).toEqual({
      updated: ids.length,
    });
    const page = await call<Page<FaceSummary>>(host, 'faces.list', {
      datasetId: dataset.id,
      review: 'flagged',
    });
    expect(page.total).toBe(ids.length);
    await call(host, 'reviews.set', { faceIds: [ids[0]!], status: 'reviewed' });
    expect((await get(ids[0]!)).face.review).toBe('reviewed');
    expect((await failure(call(host, 'reviews.set', { faceIds: [999999], status: 'reviewed' })))?.code).toBe(
      'not_found',
    );
  });
});

describe('apply constraints', () => {
  it('proposes a consistent labelling of the predictions that keeps known labels and breaks no error rule', async () => {
    const id = faces[1]!.id;
    await call(host, 'labels.set', { faceId: id, key: 'Bald', value: 1 });
    const proposal = await call<LabelProposal>(host, 'faces.proposal', { faceId: id });
    const keys = proposal.changes.map((c) => c.key);
    expect(keys).not.toContain('Bald');
    expect(keys).toContain('Smiling');
    expect(keys).toContain('gender');
    expect(proposal.changes.find((c) => c.key === 'Bangs')?.to ?? -1).toBe(-1);
    const d = await call<FaceDetail>(host, 'labels.apply', {
      faceId: id,
      changes: proposal.changes.map((c) => ({ key: c.key, value: c.to })),
    });
    const errors = d.violations.filter((v) => v.subject === 'labels' && v.severity === 'error');
    expect(errors).toEqual([]);
    // Accepting the proposal is one step: one undo takes every change back.
    const back = await call<FaceDetail>(host, 'labels.undo', { faceId: id });
    expect(back.labels.filter((l) => l.human !== null).map((l) => l.key)).toEqual(['Bald']);
  });
});

describe('mask edits', () => {
  it('saves a painted hat as a new human mask version, keeps the derived one, and re-checks areas', async () => {
    const d = await get(faces[0]!.id);
    const base = d.masks[0]!;
    const res = await asset(`/assets/mask/${d.face.id}?source=${base.source}&version=${base.version}`);
    const png = labelIds(await res.arrayBuffer());
    const ids = png.ids;
    const hat = PARSING_CLASSES.indexOf('hat');
    // A band across the top fifth of the map.
    ids.fill(hat, 0, png.width * Math.floor(png.height / 5));
    const runs: number[] = [];
    for (let i = 0; i < ids.length;) {
      let j = i;
      while (j < ids.length && ids[j] === ids[i]) j++;
      runs.push(ids[i]!, j - i);
      i = j;
    }
    const req = { faceId: d.face.id, width: png.width, height: png.height, box: base.box, runs };
    const saved = await call<FaceDetail>(host, 'masks.save', req);
    const mine = saved.masks.find((m) => m.source === 'human')!;
    expect(mine.version).toBe(1);
    expect(mine.areas?.hat).toBeCloseTo(Math.floor(png.height / 5) / png.height, 2);
    expect(mine.classes).toContain('hat');
    expect(saved.masks.some((m) => m.source === 'derived')).toBe(true);
    const again = await call<FaceDetail>(host, 'masks.save', req);
    expect(again.masks.filter((m) => m.source === 'human').map((m) => m.version)).toEqual([2, 1]);

    const back = labelIds(
      await (await asset(`/assets/mask/${d.face.id}?source=human&version=1`)).arrayBuffer(),
    );
    expect(Buffer.from(back.ids).equals(Buffer.from(ids))).toBe(true);
    // Without a source the mask rules read first comes back: the newest human one.
    const best = labelIds(await (await asset(`/assets/mask/${d.face.id}`)).arrayBuffer());
    expect(best.ids[0]).toBe(hat);
  });

  it('puts a saved mask version in the history: undo hides it, redo brings it back, in step order with labels', async () => {
    const d = await get(faces[1]!.id);
    const base = d.masks.find((m) => m.source !== 'human')!;
    const png = labelIds(
      await (
        await asset(`/assets/mask/${d.face.id}?source=${base.source}&version=${base.version}`)
      ).arrayBuffer(),
    );
    const hat = PARSING_CLASSES.indexOf('hat');
    const runs = [hat, png.width * png.height];
    const saved = await call<FaceDetail>(host, 'masks.save', {
      faceId: d.face.id,
      width: png.width,
      height: png.height,
      box: base.box,
      runs,
    });
    expect(saved.history[0]).toMatchObject({ key: 'mask', old: null, new: '1' });
    const humans = (x: FaceDetail) => x.masks.filter((m) => m.source === 'human').map((m) => m.version);
    expect(humans(saved)).toEqual([1]);
    // A label edit after the save: undo walks back the label first, then the mask.
    await call(host, 'labels.apply', { faceId: d.face.id, changes: [{ key: 'Smiling', value: 1 }] });
    const labelUndone = await call<FaceDetail>(host, 'labels.undo', { faceId: d.face.id });
    expect(human(labelUndone, 'Smiling')).toBeNull();
    expect(humans(labelUndone)).toEqual([1]);
    const maskUndone = await call<FaceDetail>(host, 'labels.undo', { faceId: d.face.id });
    expect(humans(maskUndone)).toEqual([]);
    expect(maskUndone.history[0]).toMatchObject({ key: 'mask', old: '1', new: null });
    expect((await asset(`/assets/mask/${d.face.id}?source=human&version=1`)).status).toBe(404);
    const best = labelIds(await (await asset(`/assets/mask/${d.face.id}`)).arrayBuffer());
    expect(best.ids[0]).not.toBe(hat);

    const redone = await call<FaceDetail>(host, 'labels.redo', { faceId: d.face.id });
    expect(humans(redone)).toEqual([1]);
    expect(redone.history[0]).toMatchObject({ key: 'mask', old: null, new: '1' });
    const back = labelIds(
      await (await asset(`/assets/mask/${d.face.id}?source=human&version=1`)).arrayBuffer(),
    );
    expect(back.ids.every((v) => v === hat)).toBe(true);
    // The redo stack still holds the label step; a second save clears it, and undo hides v2 only.
    const second = await call<FaceDetail>(host, 'masks.save', {
      faceId: d.face.id,
      width: png.width,
      height: png.height,
      box: base.box,
      runs,
    });
    expect(humans(second)).toEqual([2, 1]);
    expect(await failure(call(host, 'labels.redo', { faceId: d.face.id }))).toMatchObject({
      code: 'conflict',
    });
    expect(humans(await call<FaceDetail>(host, 'labels.undo', { faceId: d.face.id }))).toEqual([1]);
  });

  it('refuses runs that do not cover the mask or name an unknown class', async () => {
    const id = faces[0]!.id;
    const box = { x: 0, y: 0, w: 10, h: 10 };
    const short = await failure(
      call(host, 'masks.save', { faceId: id, width: 10, height: 10, box, runs: [1, 99] }),
    );
    expect(short).toMatchObject({ code: 'invalid_request', where: { field: 'runs' } });
    const bad = await failure(
      call(host, 'masks.save', { faceId: id, width: 10, height: 10, box, runs: [40, 100] }),
    );
    expect(bad?.message).toMatch(/class id 40/);
  });
});
