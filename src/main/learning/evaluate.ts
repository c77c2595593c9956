// k-fold cross-validation of the heads: per-attribute metrics beside the majority baseline, and rule violations.
import { AppError } from '../../shared/errors';
import { mulberry32 } from '../../shared/numeric';
import { violatesAny, type PackedClauses } from '../../shared/rules/clauses';
import { predictHeads, shuffle, trainHeads, type Heads, type TrainOptions, type TrainSet } from './heads';

export interface AttributeMetrics {
  key: string;
  /** Faces with a known label for this key (pooled over folds). */
  n: number;
  positives: number;
  accuracy: number;
  balancedAccuracy: number;
  f1: number;
  /** Accuracy of always answering the training folds' majority value. */
  majorityBaseline: number;
  /** Balanced accuracy of that same answer (0.5 whenever both values occur: the bar a head must clear). */
  majorityBalancedAccuracy: number;
}

export interface CrossValidation {
  folds: number;
  faces: number;
  lambda: number;
  attributes: AttributeMetrics[];
  /** Mean balanced accuracy over attributes with both values present. */
  meanBalancedAccuracy: number;
  /**
   * Share of held-out faces whose predictions break an `error` rule: thresholded with λ and with λ = 0, and
   * (when the trainer decodes) after the consistent decoding of the λ predictions.
   */
  violationRate: { withConstraint: number; withoutConstraint: number; decoded?: number };
}

/** Cross-validation plus what it predicted: each row's held-out probabilities (n × keys) and its fold. */
export interface HeldOut {
  evaluation: CrossValidation;
  /** P(+1) per row and key from the heads of the folds that did not hold the row. */
  p: Float32Array;
  fold: Int8Array;
}

/**
 * Faces per fold: a seeded permutation cut into `folds` nearly equal parts (each face in exactly one). With
 * `groups` (e.g. each row's image id) the groups are permuted and cut instead, so a group's rows share a fold.
 */
export function foldsOf(n: number, folds: number, seed: number, groups?: ArrayLike<number>): Int32Array[] {
  const units = groups ? new Set(Array.from(groups)).size : n;
  if (folds < 2 || folds > units) {
    throw new AppError('invalid_request', `cross-validation needs 2 to ${units} folds, got ${folds}`, {
      where: { field: 'folds' },
    });
  }
  const rand = mulberry32(seed);
  if (!groups) {
    const perm = shuffle(
      new Int32Array(n).map((_, i) => i),
      rand,
    );
    const out: Int32Array[] = [];
    for (let f = 0; f < folds; f++) {
      const a = Math.floor((f * n) / folds);
      const b = Math.floor(((f + 1) * n) / folds);
      out.push(perm.slice(a, b).sort());
    }
    return out;
  }
  // Groups in first-seen order, permuted, then dealt out so every fold gets about n / folds rows.
  const ids = [...new Set(Array.from(groups))];
  const perm = shuffle(
    new Int32Array(ids.length).map((_, i) => i),
    rand,
  );
  const foldOfGroup = new Map<number, number>();
  let seen = 0;
  const sizes = new Map<number, number>();
  for (let i = 0; i < n; i++) sizes.set(groups[i]!, (sizes.get(groups[i]!) ?? 0) + 1);
  for (const g of perm) {
    const f = Math.min(folds - 1, Math.floor((seen * folds) / n));
    foldOfGroup.set(ids[g]!, f);
    seen += sizes.get(ids[g]!)!;
  }
  const rows: number[][] = Array.from({ length: folds }, () => []);
  for (let i = 0; i < n; i++) rows[foldOfGroup.get(groups[i]!)!]!.push(i);
  return rows.map((r) => Int32Array.from(r));
}

/** The rows `idx` of a training set as a new set (so a trainer only ever holds those rows). */
export function subset(set: TrainSet, idx: Int32Array): TrainSet {
  const { d } = set;
  const k = set.keys.length;
  const x = new Float32Array(idx.length * d);
  const y = new Int8Array(idx.length * k);
  idx.forEach((r, i) => {
    x.set(set.x.subarray(r * d, r * d + d), i * d);
    y.set(set.y.subarray(r * k, r * k + k), i * k);
  });
  return { x, y, n: idx.length, d, keys: set.keys };
}

export interface CvOptions {
  folds?: number;
  seed?: number;
  /** A group per row (its image): rows of one group always share a fold. */
  groups?: ArrayLike<number>;
  lambda: number;
  clauses: PackedClauses | null;
  train?: Omit<TrainOptions, 'lambda' | 'clauses'>;
  /** Replaces trainHeads (tests record what each fold trained on). */
  trainer?: (set: TrainSet, opts: TrainOptions) => Promise<Heads>;
  /** Called with each fold's train and test rows before it trains. */
  onFold?: (fold: number, train: Int32Array, test: Int32Array) => void | Promise<void>;
}

export function metricsFor(
  key: string,
  truth: ArrayLike<number>,
  prob: ArrayLike<number>,
  baselineMajority: ArrayLike<number>,
): AttributeMetrics {
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let base = 0;
  let basePos = 0;
  let baseNeg = 0;
  let n = 0;
  for (let i = 0; i < truth.length; i++) {
    const y = truth[i]!;
    if (y === 0) continue;
    n++;
    if (baselineMajority[i] === y) {
      if (y > 0) basePos++;
      else baseNeg++;
    }
    const pred = prob[i]! >= 0.5 ? 1 : -1;
    if (y > 0) {
      if (pred > 0) tp++;
      else fn++;
    } else if (pred > 0) fp++;
    else tn++;
    if (baselineMajority[i] === y) base++;
  }
  const pos = tp + fn;
  const neg = tn + fp;
  const tpr = pos > 0 ? tp / pos : NaN;
  const tnr = neg > 0 ? tn / neg : NaN;
  const balanced = pos > 0 && neg > 0 ? (tpr + tnr) / 2 : pos > 0 ? tpr : tnr;
  return {
    key,
    n,
    positives: pos,
    accuracy: n > 0 ? (tp + tn) / n : NaN,
    balancedAccuracy: balanced,
    f1: tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : NaN,
    majorityBaseline: n > 0 ? base / n : NaN,
    majorityBalancedAccuracy:
      pos > 0 && neg > 0 ? (basePos / pos + baseNeg / neg) / 2 : pos > 0 ? basePos / pos : baseNeg / neg,
  };
}

/**
 * k-fold CV: each fold's heads are trained on `subset(set, train)` — the other folds' rows only — and
 * predict the fold's rows; metrics pool those held-out predictions. When λ > 0 every fold is also trained
 * with λ = 0, so the violation rate with and without L_c is measured on the same held-out faces.
 */
export async function crossValidate(set: TrainSet, opts: CvOptions): Promise<CrossValidation> {
  return (await heldOutPredictions(set, opts)).evaluation;
}

/**
 * crossValidate plus its held-out probabilities: every row's P(+1) comes from the heads of the one fit that did
 * not hold it (trained with the asked λ), so no row is predicted by a model that saw its label.
 */
export async function heldOutPredictions(set: TrainSet, opts: CvOptions): Promise<HeldOut> {
  const k = set.keys.length;
  const folds = foldsOf(set.n, opts.folds ?? 5, opts.seed ?? 7, opts.groups);
  const foldOf = new Int8Array(set.n);
  folds.forEach((rows, f) => rows.forEach((r) => (foldOf[r] = f)));
  const trainer = opts.trainer ?? trainHeads;
  const probWith = new Float32Array(set.n * k);
  const probWithout = opts.lambda > 0 ? new Float32Array(set.n * k) : probWith;
  const majority = new Int8Array(set.n * k);
  for (let f = 0; f < folds.length; f++) {
    const test = folds[f]!;
    const inTest = new Uint8Array(set.n);
    for (const r of test) inTest[r] = 1;
    const train = new Int32Array(set.n - test.length);
    let t = 0;
    for (let r = 0; r < set.n; r++) if (!inTest[r]) train[t++] = r;
    for (const r of train) {
      if (inTest[r]) throw new AppError('internal', `fold ${f} would train on its own test face ${r}`);
    }
    await opts.onFold?.(f, train, test);
    const trainSet = subset(set, train);
    const testSet = subset(set, test);
    const fits: [Float32Array, number][] = [[probWith, opts.lambda]];
    if (opts.lambda > 0) fits.push([probWithout, 0]);
    for (const [target, lambda] of fits) {
      const heads = await trainer(trainSet, { ...opts.train, lambda, clauses: opts.clauses });
      const p = predictHeads(heads, testSet.x, testSet.n);
      test.forEach((r, i) => target.set(p.subarray(i * k, i * k + k), r * k));
    }
    for (let c = 0; c < k; c++) {
      let pos = 0;
      let neg = 0;
      for (let i = 0; i < trainSet.n; i++) {
        const y = trainSet.y[i * k + c]!;
        if (y > 0) pos++;
        else if (y < 0) neg++;
      }
      const m = pos > neg ? 1 : -1;
      for (const r of test) majority[r * k + c] = m;
    }
  }
  const attributes = set.keys.map((key, c) => {
    const truth = new Int8Array(set.n);
    const prob = new Float32Array(set.n);
    const base = new Int8Array(set.n);
    for (let i = 0; i < set.n; i++) {
      truth[i] = set.y[i * k + c]!;
      prob[i] = probWith[i * k + c]!;
      base[i] = majority[i * k + c]!;
    }
    return metricsFor(key, truth, prob, base);
  });
  const scored = attributes.filter((a) => a.positives > 0 && a.positives < a.n);
  const rate = (p: Float32Array) => {
    if (!opts.clauses || set.n === 0) return 0;
    let v = 0;
    for (let i = 0; i < set.n; i++) if (violatesAny(p, i * k, opts.clauses)) v++;
    return v / set.n;
  };
  const evaluation: CrossValidation = {
    folds: folds.length,
    faces: set.n,
    lambda: opts.lambda,
    attributes,
    meanBalancedAccuracy:
      scored.length > 0 ? scored.reduce((s, a) => s + a.balancedAccuracy, 0) / scored.length : NaN,
    violationRate: { withConstraint: rate(probWith), withoutConstraint: rate(probWithout) },
  };
  return { evaluation, p: probWith, fold: foldOf };
}
