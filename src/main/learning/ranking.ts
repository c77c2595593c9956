// Active review order: learned-head uncertainty weighted by violations and unusual attribute combinations.
import { cooccurrence, unusualCombination } from '../../shared/rules';
import { CELEBA_ATTRIBUTES } from '../../shared/taxonomy';
import type { Store } from '../store/index';
import { effectiveCelebaLabels } from './data';

export interface RankEntry {
  faceId: number;
  score: number;
  uncertainty: number;
  violations: number;
  unusual: number;
}

/** Binary entropy in bits (0 for a sure head, 1 at p = 0.5). */
function entropy(p: number): number {
  if (!(p > 0 && p < 1)) return 0;
  return -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
}

/**
 * Every face of the dataset, most useful to review first: score = (0.05 + u) · (1 + violations) · (1 + unusual),
 * with u the mean entropy of the face's learned predictions (1 before any model exists, 0 for faces a human
 * labelled — they have no learned predictions), violations its open violation count, and unusual 1 − p of its
 * rarest attribute pair (co-occurrence over effective labels, learned values where a face has no label).
 * The 0.05 floor keeps violated faces above clean ones even when the heads are sure.
 */
export function rankFaces(store: Store, datasetId: number, minSupport = 30): RankEntry[] {
  const faceIds = store.faces.idsOfDataset(datasetId);
  const hasModel = store.learning.activeModel(datasetId) !== null;
  const entropySum = new Map<number, [number, number]>();
  const learnedValues = new Map<number, Map<string, number>>();
  for (const p of store.learning.learnedPredictions(datasetId)) {
    const v = p.value as { value?: unknown; p?: unknown };
    if (typeof v.p !== 'number') continue;
    const e = entropySum.get(p.faceId) ?? [0, 0];
    e[0] += entropy(v.p);
    e[1]++;
    entropySum.set(p.faceId, e);
    let m = learnedValues.get(p.faceId);
    if (!m) learnedValues.set(p.faceId, (m = new Map()));
    m.set(p.task, v.value === 1 || v.value === -1 ? v.value : v.p >= 0.5 ? 1 : -1);
  }
  const labels = effectiveCelebaLabels(store, datasetId);
  const human = store.learning.humanLabelledFaces(datasetId);
  const k = CELEBA_ATTRIBUTES.length;
  const rows = new Int8Array(faceIds.length * k);
  faceIds.forEach((id, i) => {
    const l = labels.get(id);
    const p = learnedValues.get(id);
    CELEBA_ATTRIBUTES.forEach((key, c) => {
      rows[i * k + c] = l?.get(key) ?? p?.get(key) ?? 0;
    });
  });
  const co = cooccurrence(rows, CELEBA_ATTRIBUTES);
  const violations = store.learning.violationCounts(datasetId);
  const out = faceIds.map((faceId, i) => {
    const e = entropySum.get(faceId);
    const uncertainty = e && e[1] > 0 ? e[0] / e[1] : human.has(faceId) || hasModel ? 0 : 1;
    const u = unusualCombination(co, rows.subarray(i * k, i * k + k), minSupport);
    const unusual = u ? 1 - u.p : 0;
    const v = violations.get(faceId) ?? 0;
    return {
      faceId,
      score: (0.05 + uncertainty) * (1 + v) * (1 + unusual),
      uncertainty,
      violations: v,
      unusual,
    };
  });
  return out.sort((a, b) => b.score - a.score || a.faceId - b.faceId);
}

/** How many times a ranking was computed rather than read from the cache (the cache's test reads it). */
export const rankingStats = { computed: 0 };

const cache = new WeakMap<Store, Map<number, { stamp: string; entries: readonly RankEntry[] }>>();

/**
 * The dataset's review order, computed once and reused by learning.next, learning.ranking and the gallery's
 * "most useful" sort until its inputs change: a label event (human edit, undo, redo), a job's progress (imports,
 * analysis, rule passes, training), new predictions, faces or violations, or another active model.
 */
export function cachedRanking(store: Store, datasetId: number): readonly RankEntry[] {
  const stamp = store.learning.rankingStamp(datasetId);
  let byDataset = cache.get(store);
  if (!byDataset) cache.set(store, (byDataset = new Map()));
  const hit = byDataset.get(datasetId);
  if (hit?.stamp === stamp) return hit.entries;
  const entries = rankFaces(store, datasetId);
  rankingStats.computed++;
  byDataset.set(datasetId, { stamp, entries });
  return entries;
}
