// The bulk import writers: label upserts per key list and batch, import predictions 50 faces a statement.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/main/store/index';
import { tempStores } from '../../helpers/store';

const setup = tempStores('fi-bulk-labels-');

/** A dataset of `n` images with one imported face each; returns the face ids. */
function faces(store: Store, n: number): number[] {
  return store.write(() => {
    const datasetId = store.datasets.insert({ name: 'bulk', root: '/nowhere', format: 'folder' });
    return Array.from({ length: n }, (_, i) => {
      const imageId = store.images.upsert({
        datasetId,
        relPath: `${i}.jpg`,
        sha256: null,
        width: 10,
        height: 10,
        status: 'ok',
        error: null,
        sizeBytes: null,
        mtimeMs: null,
      });
      return store.annotations.insertFaceAt(imageId, 0, { x: 0, y: 0, w: 10, h: 10 });
    });
  });
}

const byKey = (store: Store, faceId: number) =>
  Object.fromEntries(store.labels.forFace(faceId).map((l) => [`${l.source}:${l.key}`, l.value]));

describe('import label writer', () => {
  it('writes each face its own key list, quotes in keys included, and falls back to single rows', () => {
    const { store } = setup();
    // 40 distinct key lists: more than the writer keeps statements for, so the last ones go row by row.
    const ids = faces(store, 40);
    const want = ids.map((_, i) =>
      Object.fromEntries(
        Array.from({ length: (i % 7) + 1 }, (_, j) => [`k${(i + j) % 40}'s`, String(i * 100 + j)]),
      ),
    );
    const written = store.write(() => {
      const w = store.annotations.importLabels(1234);
      const n = ids.reduce((n, id, i) => n + w.set(id, want[i]!), 0);
      w.flush();
      return n;
    });
    expect(written).toBe(want.reduce((n, l) => n + Object.keys(l).length, 0));
    ids.forEach((id, i) => {
      const got = store.labels.forFace(id);
      expect(Object.fromEntries(got.map((l) => [l.key, l.value]))).toEqual(want[i]);
      expect(got.every((l) => l.source === 'import' && l.updatedAt === 1234)).toBe(true);
      expect(store.labels.events(id)).toHaveLength(0);
    });
  });

  it('writes 2,000-row batches of faces sharing a key list, and the rest on flush, in any interleaving', () => {
    const { store } = setup();
    const ids = faces(store, 130);
    const keys = Array.from({ length: 40 }, (_, j) => `a${j}`);
    // Faces 64 and 129 have another key list: 64 faces, one batch of 50 and 14 flushed by the change, twice.
    const want = ids.map((_, i) =>
      Object.fromEntries((i % 65 === 64 ? ['x', 'y'] : keys).map((k, j) => [k, String((i * 41 + j) % 3)])),
    );
    store.write(() => {
      const w = store.annotations.importLabels(5);
      ids.forEach((id, i) => w.set(id, want[i]!));
      w.flush();
    });
    ids.forEach((id, i) => {
      expect(Object.fromEntries(store.labels.forFace(id).map((l) => [l.key, l.value]))).toEqual(want[i]);
    });
  });

  it('updates earlier import labels in place and leaves human labels alone', () => {
    const { store } = setup();
    const [a, b] = faces(store, 2) as [number, number];
    store.write(() => {
      const w = store.annotations.importLabels(1);
      w.set(a, { Smiling: '1', Young: '-1' });
      w.set(b, { Smiling: '-1', Young: '1' });
      w.flush();
      store.labels.setHuman({ faceId: a, key: 'Smiling', value: '-1', actor: 'test' });
    });
    store.write(() => {
      const w = store.annotations.importLabels(2);
      w.set(a, { Smiling: '-1', Young: '1' });
      w.set(b, { Smiling: '1', Young: '1' });
      expect(w.set(b, {})).toBe(0);
      w.flush();
    });
    expect(byKey(store, a)).toEqual({ 'human:Smiling': '-1', 'import:Smiling': '-1', 'import:Young': '1' });
    expect(byKey(store, b)).toEqual({ 'import:Smiling': '1', 'import:Young': '1' });
    expect(store.labels.forFace(b).every((l) => l.updatedAt === 2)).toBe(true);
    expect(store.labels.events(a)).toHaveLength(1);
  });

  it('writes import predictions in batches; a face named twice keeps only its later ones', () => {
    const { store } = setup();
    const ids = faces(store, 120);
    const kept = (i: number) => ({
      identity: { id: i },
      landmarks: { layout: 'celeba5', points: [i, i + 1] },
    });
    const tasks = (id: number) =>
      store.faces
        .predictions(id)
        .map((p) => ({ task: p.task, value: p.value, source: p.source, v: p.modelVersion }));
    store.write(() => {
      const w = store.annotations.importPredictions('celeba', 7);
      ids.forEach((id, i) => w.replace(id, kept(i), true));
      // Faces 110 and 100 again while their first records are still queued (100 with nothing kept).
      w.replace(ids[110]!, { identity: { id: 999 } }, false);
      w.replace(ids[100]!, {}, false);
      w.flush();
    });
    ids.forEach((id, i) => {
      const want =
        i === 110
          ? [{ task: 'identity', value: { id: 999 }, source: 'import', v: 'celeba' }]
          : i === 100
            ? []
            : [
                { task: 'identity', value: { id: i }, source: 'import', v: 'celeba' },
                { task: 'landmarks', value: kept(i).landmarks, source: 'import', v: 'celeba' },
              ];
      expect(tasks(id)).toEqual(want);
    });
    // A re-import replaces them.
    store.write(() => {
      const w = store.annotations.importPredictions('celeba', 8);
      w.replace(ids[0]!, { identity: { id: 5 } }, false);
      w.flush();
    });
    expect(tasks(ids[0]!)).toEqual([{ task: 'identity', value: { id: 5 }, source: 'import', v: 'celeba' }]);
  });
});
