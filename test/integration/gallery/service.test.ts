// Gallery service methods on a real app: faces.list filters, faces.facets, labels.bulkSet, reviews, datasets.stats.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Dataset,
  DatasetStats,
  FaceDetail,
  FaceFacets,
  FaceSummary,
  Job,
  Page,
  RankedFace,
} from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { openStore } from '../../../src/main/store/index';
import { startHttpServer } from '../../../src/main/transports/http';
import { copySamples, tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { seedFaces, type SeedCounts } from '../../helpers/gallery-seed';

let host: AppHost;
let cleanup: () => void;
let dataset: Dataset;
let seeded: SeedCounts;
const N = 600;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  copySamples(join(t.dir, 'photos'));
  host = await startTestApp(join(t.dir, 'data'));
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
    root: join(t.dir, 'photos'),
  });
  await waitForJob(host, created.job.id);
  dataset = created.dataset;
  const store = openStore(host.info.dbPath);
  seeded = seedFaces(store, dataset.id, N);
  store.close();
}, 120_000);
afterAll(async () => {
  await host.close();
  cleanup();
});

const list = (q: object) => call<Page<FaceSummary>>(host, 'faces.list', { datasetId: dataset.id, ...q });

describe('gallery service', () => {
  it('counts images, faces, reviewed faces and open violations per dataset', async () => {
    const { items } = await call<{ items: DatasetStats[] }>(host, 'datasets.stats', {});
    expect(items).toEqual([
      expect.objectContaining({
        datasetId: dataset.id,
        images: 6,
        faces: N,
        reviewed: seeded.reviewed,
        facesWithViolations: seeded.withViolations,
      }),
    ]);
  });

  it('pages by offset and reports facet counts that match the filtered totals', async () => {
    const last = await list({ offset: N - 5, limit: 10 });
    expect(last.items).toHaveLength(5);
    expect(last.total).toBe(N);
    const facets = await call<FaceFacets>(host, 'faces.facets', { datasetId: dataset.id });
    expect(facets.total).toBe(N);
    expect(facets.withViolations).toBe((await list({ hasViolations: true, limit: 1 })).total);
    expect(facets.review.reviewed).toBe((await list({ review: 'reviewed', limit: 1 })).total);
  });

  it('sorts by the review order of learning.ranking and follows label edits', async () => {
    const useful = async (desc = false) =>
      (await list({ sort: 'useful', desc, limit: N })).items.map((f) => f.id);
    const ranking = async () =>
      (await call<Page<RankedFace>>(host, 'learning.ranking', { datasetId: dataset.id, limit: N })).items.map(
        (r) => r.face.id,
      );
    const before = await ranking();
    expect(await useful()).toEqual(before);
    expect(await useful(true)).toEqual([...before].reverse());
    const page = await list({ sort: 'useful', offset: 10, limit: 5 });
    expect(page.items.map((f) => f.id)).toEqual(before.slice(10, 15));
    // A human label makes the top face certain (uncertainty 0): it leaves the top, in both lists alike.
    const top = before[0]!;
    await call(host, 'labels.bulkSet', { faceIds: [top], key: 'Wearing_Hat', value: -1 });
    const after = await ranking();
    expect(after[0]).not.toBe(top);
    expect(await useful()).toEqual(after);
  });

  it('refuses a malformed filter with the offending field', async () => {
    await expect(list({ attr: { value: '1' } })).rejects.toMatchObject({
      code: 'invalid_request',
      where: { field: 'attr.key' },
    });
    await expect(list({ sort: 'nonsense' })).rejects.toMatchObject({ where: { field: 'sort' } });
  });

  it('sets one attribute on many faces in one call and re-checks their rules', async () => {
    const ids = (await list({ limit: 3 })).items.map((f) => f.id);
    const res = await call<{ updated: number }>(host, 'labels.bulkSet', {
      faceIds: ids,
      key: 'Bald',
      value: 1,
    });
    expect(res.updated).toBe(3);
    expect((await list({ attr: { key: 'Bald', value: '1' }, limit: 10 })).items.map((f) => f.id)).toEqual(
      ids,
    );
    const detail = await call<FaceDetail>(host, 'faces.get', { id: ids[0]! });
    expect(detail.labels.find((l) => l.key === 'Bald')).toMatchObject({ human: '1', effective: '1' });
    expect(detail.history[0]).toMatchObject({ key: 'Bald', new: '1' });
  });

  it('writes nothing when one face of a bulk edit does not exist', async () => {
    const ids = (await list({ limit: 2 })).items.map((f) => f.id);
    await expect(
      call(host, 'labels.bulkSet', { faceIds: [...ids, 999_999_999], key: 'Eyeglasses', value: 1 }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect((await list({ attr: { key: 'Eyeglasses', value: '1' }, limit: 1 })).total).toBe(0);
  });

  it('answers faces.list and faces.facets over HTTP as in process', async () => {
    const t = tempDir();
    writeFileSync(join(t.dir, 'index.html'), '<!doctype html><title>FaceInsight Studio</title>');
    const http = await startHttpServer(host, { staticDir: t.dir, port: 0 });
    try {
      const post = async (method: string, req: object) => {
        const res = await fetch(`http://127.0.0.1:${http.port}/api/${method}?token=${http.token}`, {
          method: 'POST',
          body: JSON.stringify(req),
        });
        return ((await res.json()) as { value: unknown }).value;
      };
      const q = { datasetId: dataset.id, review: 'reviewed', sort: 'file', limit: 5 };
      const direct = await list(q);
      expect(direct.items.every((f) => f.review === 'reviewed')).toBe(true);
      expect(direct.items.map((f) => f.relPath)).toEqual([...direct.items.map((f) => f.relPath)].sort());
      expect(await post('faces.list', q)).toEqual(direct);
      const facets = await call<FaceFacets>(host, 'faces.facets', {
        datasetId: dataset.id,
        severity: 'error',
      });
      expect(await post('faces.facets', { datasetId: dataset.id, severity: 'error' })).toEqual(facets);
    } finally {
      await http.close();
      t.cleanup();
    }
  });
});
