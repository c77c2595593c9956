// Reads what training needs from the store: effective CelebA labels (human, else import) and embeddings.
import { CELEBA_ATTRIBUTES, ageToBucket, isCelebaAttribute } from '../../shared/taxonomy';
import type { EmbeddingModel, Store } from '../store/index';
import type { TrainSet } from './heads';

/** Embedding matrix of a dataset's faces for one model, in face id order. */
export interface EmbeddingTable {
  faceIds: number[];
  x: Float32Array;
  d: number;
}

export function loadEmbeddings(store: Store, datasetId: number, model: EmbeddingModel): EmbeddingTable {
  const faceIds: number[] = [];
  const rows: Float32Array[] = [];
  for (const e of store.learning.embeddings(datasetId, model)) {
    faceIds.push(e.faceId);
    rows.push(e.vector);
  }
  const d = rows[0]?.length ?? 0;
  const x = new Float32Array(rows.length * d);
  rows.forEach((r, i) => x.set(r.length === d ? r : new Float32Array(d), i * d));
  return { faceIds, x, d };
}

/** Effective CelebA labels per face: human where there is one, else the imported value; ±1 only. */
export function effectiveCelebaLabels(store: Store, datasetId: number): Map<number, Map<string, 1 | -1>> {
  return effectiveCelebaOf(store.labels.iterateDataset(datasetId));
}

/** effectiveCelebaLabels over given label rows (all the labels of each face they cover). */
export function effectiveCelebaOf(
  labels: Iterable<{ faceId: number; key: string; source: string; value: string }>,
): Map<number, Map<string, 1 | -1>> {
  const human = new Map<number, Map<string, 1 | -1>>();
  const imported = new Map<number, Map<string, 1 | -1>>();
  for (const l of labels) {
    if (!isCelebaAttribute(l.key)) continue;
    const v = Number(l.value);
    if (v !== 1 && v !== -1) continue;
    const target = l.source === 'human' ? human : imported;
    let m = target.get(l.faceId);
    if (!m) target.set(l.faceId, (m = new Map()));
    m.set(l.key, v);
  }
  for (const [faceId, m] of human) {
    const base = imported.get(faceId) ?? new Map<string, 1 | -1>();
    for (const [k, v] of m) base.set(k, v);
    imported.set(faceId, base);
  }
  return imported;
}

/** Keys with more than two values that get learned heads too: one head per class, normalised over the key. */
export const CLASS_KEYS = ['gender', 'age_bucket', 'race', 'expression'] as const;

/** One label key of a training set: its values and the set's columns (one for CelebA: P(+1); one per class). */
export interface KeySpec {
  key: string;
  /** Values as the labels spell them: `1`, `-1` for CelebA, class names for the others. */
  classes: string[];
  /** Column of each class in the set (CelebA: one column, P(+1); -1 reads 1 − P). */
  cols: number[];
  binary: boolean;
}

/** The column name of a class head (`race=White`); CelebA columns are the attribute names. */
export const classColumn = (key: string, cls: string) => `${key}=${cls}`;

/**
 * Effective labels per face as text (human where there is one, else the imported value): CelebA `1` / `-1`,
 * gender, race, expression, and age_bucket (from `age` where a face has no bucket).
 */
export function effectiveLabelTexts(store: Store, datasetId: number): Map<number, Map<string, string>> {
  const out = new Map<number, Map<string, string>>();
  const from = new Map<number, Map<string, 'human' | 'import'>>();
  for (const l of store.labels.iterateDataset(datasetId)) {
    let key = l.key;
    let value = String(l.value);
    if (isCelebaAttribute(key)) {
      if (value !== '1' && value !== '-1') continue;
    } else if (key === 'age') {
      const years = Number(value);
      if (!Number.isFinite(years)) continue;
      key = 'age_bucket:age';
      value = ageToBucket(years);
    } else if (!(CLASS_KEYS as readonly string[]).includes(key)) continue;
    let m = out.get(l.faceId);
    let src = from.get(l.faceId);
    if (!m || !src) {
      out.set(l.faceId, (m = new Map()));
      from.set(l.faceId, (src = new Map()));
    }
    if (src.get(key) === 'human' && l.source !== 'human') continue;
    m.set(key, value);
    src.set(key, l.source);
  }
  // A bucket from `age` stands in only where the face has no age_bucket label.
  for (const m of out.values()) {
    const fromAge = m.get('age_bucket:age');
    if (fromAge === undefined) continue;
    m.delete('age_bucket:age');
    if (!m.has('age_bucket')) m.set('age_bucket', fromAge);
  }
  return out;
}

/**
 * The training set: faces with an embedding and at least one effective label, over the CelebA attributes that
 * have both values among them (a head needs positives and negatives to learn anything) and the class keys with
 * two or more classes among them (a column per class, +1 on faces of that class, -1 on faces of another).
 */
export function buildTrainSet(
  table: EmbeddingTable,
  labels: Map<number, Map<string, string | number>>,
): { set: TrainSet; faceIds: number[]; specs: KeySpec[] } {
  const rows: number[] = [];
  table.faceIds.forEach((id, i) => {
    if ((labels.get(id)?.size ?? 0) > 0) rows.push(i);
  });
  const seen = new Map<string, Map<string, number>>();
  for (const r of rows) {
    for (const [key, v] of labels.get(table.faceIds[r]!)!) {
      let m = seen.get(key);
      if (!m) seen.set(key, (m = new Map()));
      m.set(String(v), (m.get(String(v)) ?? 0) + 1);
    }
  }
  const columns: string[] = [];
  const specs: KeySpec[] = [];
  for (const key of CELEBA_ATTRIBUTES) {
    const m = seen.get(key);
    if (!m?.get('1') || !m.get('-1')) continue;
    specs.push({ key, classes: ['1', '-1'], cols: [columns.length], binary: true });
    columns.push(key);
  }
  for (const key of CLASS_KEYS) {
    const classes = [...(seen.get(key)?.keys() ?? [])].sort();
    if (classes.length < 2) continue;
    specs.push({ key, classes, cols: classes.map((_, i) => columns.length + i), binary: false });
    columns.push(...classes.map((c) => classColumn(key, c)));
  }
  const { d } = table;
  const k = columns.length;
  const x = new Float32Array(rows.length * d);
  const y = new Int8Array(rows.length * k);
  rows.forEach((r, i) => {
    x.set(table.x.subarray(r * d, r * d + d), i * d);
    const m = labels.get(table.faceIds[r]!)!;
    for (const spec of specs) {
      const v = m.get(spec.key);
      if (v === undefined) continue;
      if (spec.binary) y[i * k + spec.cols[0]!] = String(v) === '1' ? 1 : -1;
      else spec.cols.forEach((c, j) => (y[i * k + c] = spec.classes[j] === String(v) ? 1 : -1));
    }
  });
  return {
    set: { x, y, n: rows.length, d, keys: columns },
    faceIds: rows.map((r) => table.faceIds[r]!),
    specs,
  };
}
