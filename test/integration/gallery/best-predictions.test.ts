// best_predictions (migration 0006) on a real SQLite file: its triggers keep it equal to the predictions.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../../src/main/store/migrations/index';
import { migrate } from '../../../src/main/store/db';
import { openStore, type Store } from '../../../src/main/store/index';
import type { PredictionInput } from '../../../src/main/store/repositories/faces';
import { tempDir } from '../../helpers/fs';

interface ValueRow {
  faceId: number;
  task: string;
  value: string | null;
  conf: number | null;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function fresh(): { file: string; store: Store; datasetId: number; faces: number[] } {
  const t = tempDir('face-values');
  const file = join(t.dir, 'fi.db');
  const store = openStore(file);
  cleanups.push(t.cleanup, () => store.close());
  const { datasetId, faces } = seedFew(store, t.dir);
  return { file, store, datasetId, faces };
}

function seedFew(store: Store, root: string): { datasetId: number; faces: number[] } {
  return store.write(() => {
    const datasetId = store.datasets.insert({ name: 'few', root, format: 'folder' });
    const rec = { datasetId, relPath: 'a.jpg', sha256: null, width: 640, height: 480 };
    store.images.upsert({ ...rec, status: 'ok', error: null, sizeBytes: 1, mtimeMs: 1 });
    const imageId = store.images.page({ datasetId, limit: 1 }).items[0]!.id;
    const faces = [0, 1, 2].map((idx) =>
      store.faces.insert({
        imageId,
        idx,
        x: 10,
        y: 10,
        w: 50,
        h: 60,
        detScore: 0.9,
        source: 'detected',
        landmarks: null,
      }),
    );
    return { datasetId, faces };
  });
}

const pred = (task: string, source: PredictionInput['source'], value: unknown): PredictionInput => ({
  modelId: 'test',
  modelVersion: '1',
  task,
  source,
  value,
});

function outputs(store: Store, faceId: number, predictions: PredictionInput[]): void {
  store.write(() => store.faces.replaceModelOutputs(faceId, { predictions, mask: null, embeddings: [] }));
}

/** What the table holds, read over a second connection (the file is the public interface). */
function stored(file: string): ValueRow[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare(`SELECT face_id AS faceId, task, value, conf FROM best_predictions ORDER BY face_id, task`)
      .all() as ValueRow[];
  } finally {
    db.close();
  }
}

const RANK: Record<string, number> = { learned: 0, model: 1, derived: 2, import: 3 };

/** The same rows derived in JS from the store's predictions (precedence: learned > model > derived > import, newest first). */
function expected(store: Store, faceIds: number[]): ValueRow[] {
  const out: ValueRow[] = [];
  for (const faceId of faceIds) {
    const preds = store.faces.predictions(faceId);
    for (const task of [...new Set(preds.map((p) => p.task))].sort()) {
      const best = preds
        .filter((p) => p.task === task)
        .sort((a, b) => RANK[a.source]! - RANK[b.source]! || b.id - a.id)[0]!;
      const v = best.value as { label?: string; value?: number; p?: unknown; probs?: Record<string, number> };
      let conf: number | null = null;
      if (v.value !== undefined) conf = typeof v.p === 'number' ? Math.max(v.p, 1 - v.p) : null;
      else if (v.probs !== undefined) conf = v.probs[v.label!] ?? null;
      else if (typeof v.p === 'number') conf = v.p;
      const value = v.label ?? (v.value === undefined ? null : String(v.value));
      out.push({ faceId, task, value, conf });
    }
  }
  return out;
}

describe('best_predictions', () => {
  it('lets the gallery see label edits beside the predictions (disagreement follows the human label)', () => {
    const { store, datasetId, faces } = fresh();
    const [a, b] = faces as [number, number];
    for (const f of [a, b]) outputs(store, f, [pred('Smiling', 'derived', { value: 1, p: 0.9 })]);
    store.write(() => store.labels.setImported(a, 'Smiling', '-1'));
    const disagree = () =>
      store.gallery.page({ datasetId, attr: { key: 'Smiling', disagree: true } }).items.map((f) => f.id);
    expect(disagree()).toEqual([a]);
    store.write(() => store.labels.setHuman({ faceId: a, key: 'Smiling', value: '1', actor: 'test' }));
    expect(disagree()).toEqual([]);
    store.write(() => store.labels.setHuman({ faceId: b, key: 'Smiling', value: '-1', actor: 'test' }));
    expect(disagree()).toEqual([b]);
    store.write(() => store.labels.setHuman({ faceId: a, key: 'Smiling', value: null, actor: 'test' }));
    expect(disagree()).toEqual([a, b]);
    expect(store.gallery.facets({ datasetId, attr: { key: 'Smiling' } }).disagree).toBe(2);
  });

  it('follows prediction replacement and the learned > model > derived > import precedence', () => {
    const { file, store, datasetId, faces } = fresh();
    const [a, b] = faces as [number, number];
    outputs(store, a, [
      pred('Smiling', 'derived', { value: 1, p: 0.8 }),
      pred('gender', 'model', { label: 'Male', p: 0.9 }),
      pred('expression', 'model', { label: 'happy', probs: { happy: 0.7, sad: 0.3 } }),
      // Age keeps its distribution over years in `p`: a value without a confidence, not a failed insert.
      pred('age', 'model', { years: 23.5, p: [0, 0.25, 0.75] }),
    ]);
    outputs(store, b, [pred('Smiling', 'derived', { value: -1, p: 0.1 })]);
    expect(stored(file)).toEqual(expected(store, faces));
    expect(stored(file).find((r) => r.faceId === a && r.task === 'expression')).toMatchObject({
      value: 'happy',
      conf: 0.7,
    });

    expect(stored(file).find((r) => r.faceId === a && r.task === 'age')).toMatchObject({ conf: null });

    // Analysis re-runs: the old model outputs are replaced, the table follows.
    outputs(store, a, [pred('Smiling', 'derived', { value: -1, p: 0.3 })]);
    expect(stored(file).filter((r) => r.faceId === a)).toEqual([
      { faceId: a, task: 'Smiling', value: '-1', conf: 0.7 },
    ]);

    // A learned head wins over the derived value; dropping it brings the derived one back.
    store.write(() =>
      store.learning.replaceLearned(a, [{ ...pred('Smiling', 'learned', { value: 1, p: 0.95 }) }]),
    );
    expect(stored(file).find((r) => r.faceId === a)).toMatchObject({ value: '1', conf: 0.95 });
    expect(
      store.gallery
        .page({ datasetId, attr: { key: 'Smiling', source: 'prediction', value: '1' } })
        .items.map((f) => f.id),
    ).toEqual([a]);
    store.write(() => store.learning.replaceLearned(a, []));
    expect(stored(file).find((r) => r.faceId === a)).toMatchObject({ value: '-1', conf: 0.7 });
    expect(stored(file)).toEqual(expected(store, faces));
  });

  it('drops every row of a deleted face and keeps the others', () => {
    const { file, store, faces } = fresh();
    const [a, b] = faces as [number, number];
    for (const f of [a, b]) {
      outputs(store, f, [pred('Smiling', 'derived', { value: 1, p: 0.8 })]);
      store.write(() =>
        store.learning.replaceLearned(f, [pred('Smiling', 'learned', { value: -1, p: 0.4 })]),
      );
    }
    store.write(() => store.faces.delete(a));
    expect(stored(file).map((r) => r.faceId)).toEqual([b]);
    expect(stored(file)).toEqual(expected(store, [b]));
  });

  it('backfills the predictions written before the migration', () => {
    const t = tempDir('face-values');
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'fi.db');
    // A database at schema 5 with data, as an older version of the app left it.
    const old = new Database(file);
    old.pragma('foreign_keys = ON');
    for (const m of migrations.filter((x) => x.version <= 5)) m.up(old);
    old.pragma('user_version = 5');
    old.exec(`INSERT INTO datasets (id, name, root, format, created_at) VALUES (1, 'd', '${t.dir}', 'folder', 0);
      INSERT INTO images (id, dataset_id, rel_path, status, created_at) VALUES (1, 1, 'a.jpg', 'ok', 0);
      INSERT INTO faces (id, image_id, idx, x, y, w, h, source) VALUES (1, 1, 0, 0, 0, 9, 9, 'detected'),
        (2, 1, 1, 0, 0, 9, 9, 'detected');
      INSERT INTO labels VALUES (1, 'Smiling', 'import', '-1', 0), (1, 'Smiling', 'human', '1', 1),
        (2, 'Bald', 'import', '1', 0);
      INSERT INTO predictions (face_id, model_id, model_version, task, source, value, created_at) VALUES
        (1, 'm', '1', 'Smiling', 'derived', '{"value":-1,"p":0.2}', 0),
        (1, 'm', '1', 'Smiling', 'import', '{"value":1}', 0),
        (2, 'm', '1', 'gender', 'model', '{"label":"Female","p":0.6}', 0);`);
    expect(migrate(old)).toBe(migrations.at(-1)!.version);
    old.close();
    const store = openStore(file);
    cleanups.push(() => store.close());
    expect(stored(file)).toEqual(expected(store, [1, 2]));
    expect(stored(file)).toContainEqual({ faceId: 1, task: 'Smiling', value: '-1', conf: 0.8 });
  });
});
