// Active review order: learned-head uncertainty weighted by violations and unusual attribute combinations.
import { cooccurrence, unusualCombination } from '../../shared/rules';
import { CELEBA_ATTRIBUTES } from '../../shared/taxonomy';
import type { Store } from '../store/index';
import { effectiveCelebaLabels, effectiveCelebaOf } from './data';

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

/** What the review order is computed from; kept with the cached ranking so that an edit re-reads only its faces. */
interface RankInputs {
  faceIds: number[];
  /** Each face's row in `rows`. */
  index: Map<number, number>;
  hasModel: boolean;
  /** Per face: the sum of its learned predictions' entropies, and their number. */
  entropySum: Map<number, [number, number]>;
  /** Per face: its learned ±1 values by key. */
  learnedValues: Map<number, Map<string, number>>;
  /** Faces with a human label. */
  human: Set<number>;
  violations: Map<number, number>;
  /** The co-occurrence table's rows: effective label, else learned value, else 0, per face and attribute. */
  rows: Int8Array;
}

function loadInputs(store: Store, datasetId: number): RankInputs {
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
  const inputs: RankInputs = {
    faceIds,
    index: new Map(faceIds.map((id, i) => [id, i])),
    hasModel,
    entropySum,
    learnedValues,
    human,
    violations: store.learning.violationCounts(datasetId),
    rows: new Int8Array(faceIds.length * CELEBA_ATTRIBUTES.length),
  };
  faceIds.forEach((id, i) => setRow(inputs, i, labels.get(id)));
  return inputs;
}

/** Writes face `i`'s row from its effective labels, learned values where it has none. */
function setRow(inputs: RankInputs, i: number, labels: Map<string, number> | undefined): void {
  const k = CELEBA_ATTRIBUTES.length;
  const p = inputs.learnedValues.get(inputs.faceIds[i]!);
  CELEBA_ATTRIBUTES.forEach((key, c) => {
    inputs.rows[i * k + c] = labels?.get(key) ?? p?.get(key) ?? 0;
  });
}

function score(inputs: RankInputs, minSupport: number): RankEntry[] {
  const { faceIds, rows, entropySum, human, hasModel, violations } = inputs;
  const k = CELEBA_ATTRIBUTES.length;
  const co = cooccurrence(rows, CELEBA_ATTRIBUTES);
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

/**
 * Every face of the dataset, most useful to review first: score = (0.05 + u) · (1 + violations) · (1 + unusual),
 * with u the mean entropy of the face's learned predictions (1 before any model exists, 0 for faces a human
 * labelled — they have no learned predictions), violations its open violation count, and unusual 1 − p of its
 * rarest attribute pair (co-occurrence over effective labels, learned values where a face has no label).
 * The 0.05 floor keeps violated faces above clean ones even when the heads are sure.
 */
export function rankFaces(store: Store, datasetId: number, minSupport = 30): RankEntry[] {
  return score(loadInputs(store, datasetId), minSupport);
}

/**
 * How many times a ranking was computed rather than read from the cache (the cache's test reads it), and how many
 * of those were in-place updates after edits rather than full reads of the dataset.
 */
export const rankingStats = { computed: 0, updated: 0 };

/** Past this many edited faces since the cached ranking, the dataset is read again instead. */
const MAX_EDITED = 2_000;

/**
 * Brings cached inputs up to stamp `to` from `from` when only edits happened in between (label events, and the
 * violations their re-checks wrote): re-reads the edited faces' labels and violation counts, nothing else. False
 * when anything else moved (a job, new faces or predictions, another model) or too many faces were edited: the
 * caller ranks from scratch. Label events get their ids in commit order (every write holds the write lock), so
 * the events after `from`'s maximum are exactly the edits since.
 */
function updateInPlace(store: Store, inputs: RankInputs, from: string, to: string): boolean {
  // rankingStamp's parts: label events, faces, predictions, violations, jobs (count, last update), active model.
  const a = from.split(':');
  const b = to.split(':');
  if (a.length !== b.length) return false;
  for (let i = 1; i < a.length; i++) if (i !== 3 && a[i] !== b[i]) return false;
  const since = Number(a[0]);
  // Violations that moved without a label event were not written by an edit.
  if (!(Number(b[0]) > since)) return false;
  const edited = store.learning.facesEditedSince(since).filter((id) => inputs.index.has(id));
  if (edited.length > MAX_EDITED) return false;
  if (edited.length === 0) return true;
  const rows = store.learning.labelsOfFaces(edited);
  const labels = effectiveCelebaOf(rows);
  const violations = store.learning.violationCountsOf(edited);
  const human = new Set(rows.filter((r) => r.source === 'human').map((r) => r.faceId));
  for (const id of edited) {
    setRow(inputs, inputs.index.get(id)!, labels.get(id));
    if (human.has(id)) inputs.human.add(id);
    else inputs.human.delete(id);
    const v = violations.get(id);
    if (v === undefined) inputs.violations.delete(id);
    else inputs.violations.set(id, v);
  }
  return true;
}

const cache = new WeakMap<
  Store,
  Map<number, { stamp: string; inputs: RankInputs; entries: readonly RankEntry[] }>
>();

/**
 * The dataset's review order, computed once and reused by learning.next, learning.ranking and the gallery's
 * "most useful" sort until its inputs change. After edits (label events: human edit, undo, redo, mask step) it is
 * updated in place from the edited faces alone; a job's progress (imports, analysis, rule passes, training), new
 * predictions or faces, or another active model rank the dataset again. Call it before a transaction writes
 * anything: an update read from writes that then roll back would stay in the cache.
 */
export function cachedRanking(store: Store, datasetId: number): readonly RankEntry[] {
  const stamp = store.learning.rankingStamp(datasetId);
  let byDataset = cache.get(store);
  if (!byDataset) cache.set(store, (byDataset = new Map()));
  const hit = byDataset.get(datasetId);
  if (hit?.stamp === stamp) return hit.entries;
  // A failed update leaves the inputs half-changed: forget them, so the next call ranks from scratch.
  byDataset.delete(datasetId);
  if (hit && updateInPlace(store, hit.inputs, hit.stamp, stamp)) {
    const entries = score(hit.inputs, 30);
    rankingStats.computed++;
    rankingStats.updated++;
    byDataset.set(datasetId, { stamp, inputs: hit.inputs, entries });
    return entries;
  }
  const inputs = loadInputs(store, datasetId);
  const entries = score(inputs, 30);
  rankingStats.computed++;
  byDataset.set(datasetId, { stamp, inputs, entries });
  return entries;
}
