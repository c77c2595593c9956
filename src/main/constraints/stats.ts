// Co-occurrence of the CelebA attributes over a dataset's labels or predictions, for the heatmap and sorting.
import type { Cooccurrence as CooccurrenceDto } from '../../shared/api';
import {
  cooccurrence,
  effectiveLabels,
  predictionFacts,
  type LabelRow,
  type PredictionRow,
} from '../../shared/rules';
import { CELEBA_ATTRIBUTES } from '../../shared/taxonomy';
import type { Store } from '../store/index';
import { labelFromText } from './index';

const K = CELEBA_ATTRIBUTES.length;

/** ±1/0 rows (faces × 40) from grouped per-face rows. */
function table<T extends { faceId: number }>(
  rows: Iterable<T>,
  facts: (group: T[]) => Readonly<Partial<Record<string, unknown>>>,
): Int8Array {
  const out: number[] = [];
  let group: T[] = [];
  const flush = () => {
    if (group.length === 0) return;
    const v = facts(group);
    for (const a of CELEBA_ATTRIBUTES) out.push(v[a] === 1 ? 1 : v[a] === -1 ? -1 : 0);
    group = [];
  };
  for (const r of rows) {
    if (group.length > 0 && group[0]!.faceId !== r.faceId) flush();
    group.push(r);
  }
  flush();
  return Int8Array.from(out);
}

export function datasetCooccurrence(
  store: Store,
  datasetId: number,
  source: 'labels' | 'predictions',
): CooccurrenceDto {
  const rows =
    source === 'labels'
      ? table(
          store.labels.iterateDataset(datasetId),
          (g) =>
            effectiveLabels(
              g.map((l): LabelRow => ({
                key: l.key,
                source: l.source,
                value: labelFromText(l.key, l.value),
              })),
            ).values,
        )
      : table(
          store.faces.iteratePredictions(datasetId),
          (g) => predictionFacts(g.map((p): PredictionRow => ({ task: p.task, value: p.value }))).values,
        );
  const c = cooccurrence(rows, CELEBA_ATTRIBUTES);
  const p: (number | null)[] = [];
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const d = c.known[i * K + j]!;
      p.push(d === 0 ? null : c.m[i * K + j]! / d);
    }
  }
  return {
    keys: [...CELEBA_ATTRIBUTES],
    n: Array.from(c.n),
    m: Array.from(c.m),
    p,
    pairN: Array.from(c.known),
    faces: c.faces,
  };
}
