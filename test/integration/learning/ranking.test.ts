// The cached review ranking (learning/ranking.ts) on both backends: edits update it in place from the edited faces,
// and what learning.next and learning.ranking answer afterwards is what ranking the dataset from scratch gives.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Job, Page, RankedFace } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { rankFaces, rankingStats } from '../../../src/main/learning/ranking';
import { openStore, type Store } from '../../../src/main/store/index';
import { BACKENDS, freshTarget, skipBackend } from '../../helpers/backends';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { copySamples } from '../../helpers/fs';
import { seedFaces } from '../../helpers/gallery-seed';

describe.each(BACKENDS)('review ranking cache on %s', (backend) => {
  const skip = skipBackend(backend);
  let host: AppHost;
  let store: Store;
  let datasetId = 0;
  let cleanup = () => {};

  beforeAll(async () => {
    if (skip) return;
    const db = await freshTarget(backend, 'ranking');
    cleanup = db.cleanup;
    copySamples(join(db.dir, 'photos'));
    host = await startTestApp(join(db.dir, 'data'), db.target);
    const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
      root: join(db.dir, 'photos'),
    });
    await waitForJob(host, created.job.id);
    datasetId = created.dataset.id;
    // A second connection, as another process would have: it seeds, and ranks from scratch to compare.
    store = openStore(db.target);
    seedFaces(store, datasetId, 300);
  }, 120_000);
  afterAll(async () => {
    store?.close();
    await host?.close();
    cleanup();
  });

  const next = async () =>
    (await call<{ item: RankedFace | null }>(host, 'learning.next', { datasetId, order: 'useful' })).item!;
  /** The face learning.next should hand out: the first unreviewed one of a ranking from scratch. */
  const expectedNext = () => {
    const reviewed = store.learning.reviewedFaces(datasetId);
    return rankFaces(store, datasetId).find((e) => !reviewed.has(e.faceId))!.faceId;
  };
  /** The whole order as learning.ranking answers it, against a ranking of the dataset from scratch. */
  const expectFresh = async () => {
    const page = await call<Page<RankedFace>>(host, 'learning.ranking', { datasetId, limit: 1000 });
    const served = page.items.map((r) => ({
      faceId: r.face.id,
      score: r.score,
      uncertainty: r.uncertainty,
      violations: r.violations,
      unusual: r.unusual,
    }));
    expect(served).toEqual(rankFaces(store, datasetId));
  };

  it.skipIf(skip)('an edit that changes a face’s rank is reflected in the next learning.next', async () => {
    const first = await next();
    expect(first.uncertainty).toBe(1);
    const { computed, updated } = rankingStats;
    // A human label makes the face certain (uncertainty 0): it drops below every face nobody labelled.
    await call(host, 'labels.apply', {
      faceId: first.face.id,
      changes: [
        { key: 'Smiling', value: 1 },
        { key: 'Male', value: -1 },
      ],
    });
    const second = await next();
    expect(second.face.id).not.toBe(first.face.id);
    expect(second.face.id).toBe(expectedNext());
    expect(rankingStats.computed).toBe(computed + 1);
    expect(rankingStats.updated).toBe(updated + 1);
    await expectFresh();
    // Undo takes the human labels away again: the face is uncertain again and ranks as if never labelled.
    await call(host, 'labels.undo', { faceId: first.face.id });
    const third = await next();
    expect(third.uncertainty).toBe(1);
    expect(third.face.id).toBe(expectedNext());
    expect(rankingStats.updated).toBe(updated + 2);
    await expectFresh();
  });

  it.skipIf(skip)('matches a ranking from scratch after edits made through another connection', async () => {
    await next();
    const ranking = rankFaces(store, datasetId);
    // Edits straight through the store (another process's connection), spread over the order.
    const edited = [ranking[0]!, ranking[7]!, ranking.at(-1)!].map((e) => e.faceId);
    store.write(() => {
      for (const [i, faceId] of edited.entries()) {
        store.labels.setHuman({ faceId, key: 'Eyeglasses', value: i % 2 ? '-1' : '1', actor: 'other' });
        store.labels.setHuman({ faceId, key: 'Smiling', value: null, actor: 'other' });
      }
    });
    const { computed, updated } = rankingStats;
    const top = await next();
    expect(rankingStats.computed).toBe(computed + 1);
    expect(rankingStats.updated).toBe(updated + 1);
    expect(edited).not.toContain(top.face.id);
    expect(top.face.id).toBe(expectedNext());
    await expectFresh();
    // Clearing the first one's last human label makes it uncertain again: it ranks as unlabelled once more.
    store.write(() =>
      store.labels.setHuman({ faceId: edited[0]!, key: 'Eyeglasses', value: null, actor: 'other' }),
    );
    expect((await next()).face.id).toBe(expectedNext());
    await expectFresh();
  });
});
