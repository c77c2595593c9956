// Reads what training needs from the store: effective CelebA labels (human, else import) and embeddings.
import { CELEBA_ATTRIBUTES, isCelebaAttribute } from '../../shared/taxonomy';
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
  const human = new Map<number, Map<string, 1 | -1>>();
  const imported = new Map<number, Map<string, 1 | -1>>();
  for (const l of store.labels.iterateDataset(datasetId)) {
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

/**
 * The training set: faces with an embedding and at least one effective CelebA label, over the attributes
 * that have both values among them (a head needs positives and negatives to learn anything).
 */
export function buildTrainSet(
  table: EmbeddingTable,
  labels: Map<number, Map<string, 1 | -1>>,
): { set: TrainSet; faceIds: number[] } {
  const rows: number[] = [];
  table.faceIds.forEach((id, i) => {
    if ((labels.get(id)?.size ?? 0) > 0) rows.push(i);
  });
  const keys = CELEBA_ATTRIBUTES.filter((key) => {
    let pos = 0;
    let neg = 0;
    for (const r of rows) {
      const v = labels.get(table.faceIds[r]!)?.get(key);
      if (v === 1) pos++;
      else if (v === -1) neg++;
    }
    return pos > 0 && neg > 0;
  });
  const { d } = table;
  const k = keys.length;
  const x = new Float32Array(rows.length * d);
  const y = new Int8Array(rows.length * k);
  rows.forEach((r, i) => {
    x.set(table.x.subarray(r * d, r * d + d), i * d);
    const m = labels.get(table.faceIds[r]!)!;
    keys.forEach((key, c) => {
      y[i * k + c] = m.get(key) ?? 0;
    });
  });
  return { set: { x, y, n: rows.length, d, keys }, faceIds: rows.map((r) => table.faceIds[r]!) };
}
