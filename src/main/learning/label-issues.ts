// Label issues by confident learning (Northcutt, Jiang, Chuang, JAIR 2021) over held-out probabilities.
import type { KeyNoise } from '../../shared/api';
import type { TrainSet } from './heads';
import type { KeySpec } from './data';
import { heldOutPredictions, type CvOptions, type HeldOut } from './evaluate';

/** Per (row, key) of a training set, laid out row-major as n × specs.length; label -1 = no label. */
export interface ConfidentLearning {
  n: number;
  specs: KeySpec[];
  /** Class index of the row's label in its spec, or -1. */
  label: Int8Array;
  /** Most probable other class (held out), its probability, and the label's. */
  suggested: Int8Array;
  pLabel: Float32Array;
  pSuggested: Float32Array;
  /** 1 when some other class k has p_k ≥ t_k (the confident-learning condition). */
  suspect: Uint8Array;
  /** t_j per spec: mean held-out probability of class j over the rows labelled j. */
  thresholds: Float64Array[];
  noise: KeyNoise[];
}

/** The confident joint of one key (the API's type): how many of its labels look wrong, estimated and counted. */
export type { KeyNoise };

/** Held-out probabilities of a spec's classes for one row (binary: [P(+1), P(-1)]; classes normalised). */
export function classProbs(spec: KeySpec, p: Float32Array, offset: number, out: Float64Array): Float64Array {
  if (spec.binary) {
    const q = p[offset + spec.cols[0]!]!;
    out[0] = q;
    out[1] = 1 - q;
    return out;
  }
  let sum = 0;
  spec.cols.forEach((c, j) => {
    out[j] = Math.max(p[offset + c]!, 1e-6);
    sum += out[j]!;
  });
  for (let j = 0; j < spec.cols.length; j++) out[j]! /= sum;
  return out;
}

/**
 * Thresholds, suspects and the confident joint of every key, from each row's held-out probabilities `p`
 * (n × set.keys.length, as heldOutPredictions returns them) and the set's labels.
 */
export function confidentLearning(set: TrainSet, specs: KeySpec[], p: Float32Array): ConfidentLearning {
  const { n } = set;
  const k = set.keys.length;
  const s = specs.length;
  const label = new Int8Array(n * s).fill(-1);
  const suggested = new Int8Array(n * s).fill(-1);
  const pLabel = new Float32Array(n * s);
  const pSuggested = new Float32Array(n * s);
  const suspect = new Uint8Array(n * s);
  const thresholds: Float64Array[] = [];
  const noise: KeyNoise[] = [];
  specs.forEach((spec, si) => {
    const m = spec.classes.length;
    const probs = new Float64Array(m);
    // The row's label: CelebA +1 / -1 in its column; a class key's +1 column.
    for (let i = 0; i < n; i++) {
      if (spec.binary) {
        const y = set.y[i * k + spec.cols[0]!]!;
        if (y !== 0) label[i * s + si] = y > 0 ? 0 : 1;
      } else {
        const j = spec.cols.findIndex((c) => set.y[i * k + c] === 1);
        if (j >= 0) label[i * s + si] = j;
      }
    }
    const sum = new Float64Array(m);
    const count = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      const y = label[i * s + si]!;
      if (y < 0) continue;
      classProbs(spec, p, i * k, probs);
      sum[y]! += probs[y]!;
      count[y]!++;
    }
    // A class nobody carries gets threshold 1: nothing is confidently of it.
    const t = sum.map((v, j) => (count[j]! > 0 ? v / count[j]! : 1));
    thresholds.push(t);
    const joint = Array.from({ length: m }, () => new Array<number>(m).fill(0));
    let labels = 0;
    let suspects = 0;
    for (let i = 0; i < n; i++) {
      const at = i * s + si;
      const y = label[at]!;
      if (y < 0) continue;
      labels++;
      classProbs(spec, p, i * k, probs);
      let best = -1;
      let confident = -1;
      for (let j = 0; j < m; j++) {
        if (j !== y && (best < 0 || probs[j]! > probs[best]!)) best = j;
        if (probs[j]! >= t[j]! && (confident < 0 || probs[j]! > probs[confident]!)) confident = j;
      }
      suggested[at] = best;
      pLabel[at] = probs[y]!;
      pSuggested[at] = probs[best]!;
      let flagged = false;
      for (let j = 0; j < m; j++) if (j !== y && probs[j]! >= t[j]!) flagged = true;
      if (flagged) {
        suspect[at] = 1;
        suspects++;
      }
      if (confident >= 0) joint[y]![confident]!++;
    }
    // Calibrate each row of the joint to the number of labels given that class, then sum off the diagonal.
    let wrong = 0;
    for (let y = 0; y < m; y++) {
      const row = joint[y]!;
      const total = row.reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      for (let j = 0; j < m; j++) if (j !== y) wrong += (row[j]! / total) * count[y]!;
    }
    noise.push({
      key: spec.key,
      classes: [...spec.classes],
      labels,
      suspects,
      estimatedWrong: wrong,
      share: labels > 0 ? wrong / labels : 0,
      thresholds: Object.fromEntries(spec.classes.map((c, j) => [c, t[j]!])),
      joint,
    });
  });
  return { n, specs, label, suggested, pLabel, pSuggested, suspect, thresholds, noise };
}

/** What else speaks about one label: rules it breaks, bundled models that say otherwise. */
export interface IssueEvidence {
  /** Rules violated by the face whose check read this label (labels or cross: parsing map) and their fix. */
  rules: { rule: string; subject: string; fixTo: string | null }[];
  /** Bundled / derived model predictions of this key that differ from the label. */
  models: { model: string; value: string; p: number | null }[];
}

export interface ScoredIssue {
  row: number;
  key: string;
  label: string;
  suggested: string;
  pLabel: number;
  pSuggested: number;
  threshold: number;
  /** p_label − max other p (most negative = most likely wrong). */
  margin: number;
  suspect: boolean;
  score: number;
  evidence: IssueEvidence;
}

/** Score weights: a rule that reads the label adds RULE_WEIGHT, a disagreeing bundled model MODEL_WEIGHT. */
export const RULE_WEIGHT = 0.2;
export const MODEL_WEIGHT = 0.1;

/**
 * The label-issue score of a (row, key): 1 when confident learning flags it (suspects come first, as in the
 * paper), + (1 − margin) / 2 (held-out disagreement, 0..1; 1 − p_label for a yes/no key), + RULE_WEIGHT when a
 * violated rule reads the label, + MODEL_WEIGHT when a bundled model's prediction differs from it.
 */
export function issueScore(suspect: boolean, margin: number, evidence: IssueEvidence | undefined): number {
  return (
    (suspect ? 1 : 0) +
    (1 - margin) / 2 +
    (evidence && evidence.rules.length > 0 ? RULE_WEIGHT : 0) +
    (evidence && evidence.models.length > 0 ? MODEL_WEIGHT : 0)
  );
}

export interface FaceScore {
  row: number;
  score: number;
  key: string;
  suspects: number;
}

/**
 * Scores every labelled (row, key) and keeps what is worth storing: suspects, labels the held-out heads
 * disagree with (score ≥ 0.5), labels with other evidence, and each row's top key; plus each row's face score
 * (its highest key score) and suspect count.
 */
export function scoreIssues(
  cl: ConfidentLearning,
  evidenceOf: (row: number, key: string) => IssueEvidence | undefined,
): { issues: ScoredIssue[]; faces: FaceScore[] } {
  const s = cl.specs.length;
  const issues: ScoredIssue[] = [];
  const faces: FaceScore[] = [];
  for (let i = 0; i < cl.n; i++) {
    let top: ScoredIssue | null = null;
    let topKept = false;
    let suspects = 0;
    for (let si = 0; si < s; si++) {
      const at = i * s + si;
      const y = cl.label[at]!;
      if (y < 0) continue;
      const spec = cl.specs[si]!;
      const ev = evidenceOf(i, spec.key);
      const margin = cl.pLabel[at]! - cl.pSuggested[at]!;
      const suspect = cl.suspect[at] === 1;
      const score = issueScore(suspect, margin, ev);
      if (suspect) suspects++;
      const keep = suspect || score >= 0.5 || (ev !== undefined && ev.rules.length + ev.models.length > 0);
      if (!keep && top !== null && score <= top.score) continue;
      const sug = cl.suggested[at]!;
      const issue: ScoredIssue = {
        row: i,
        key: spec.key,
        label: spec.classes[y]!,
        suggested: spec.classes[sug]!,
        pLabel: cl.pLabel[at]!,
        pSuggested: cl.pSuggested[at]!,
        threshold: cl.thresholds[si]![sug]!,
        margin,
        suspect,
        score,
        evidence: ev ?? { rules: [], models: [] },
      };
      if (keep) issues.push(issue);
      if (top === null || score > top.score) {
        top = issue;
        topKept = keep;
      }
    }
    if (top) {
      // The row's top key is stored even when nothing flags it (the face's score points at it).
      if (!topKept) issues.push(top);
      faces.push({ row: i, score: top.score, key: top.key, suspects });
    }
  }
  return { issues, faces };
}

/** The yes/no specs of a set whose every column is a CelebA-style attribute (synthetic sets, the bench). */
export function binarySpecs(set: TrainSet): KeySpec[] {
  return set.keys.map((key, c) => ({ key, classes: ['1', '-1'], cols: [c], binary: true }));
}

/**
 * The held-out pass on its own (no store): held-out probabilities, confident learning, and the rows in "likely
 * wrong labels" order (highest face score first) with each row's top key.
 */
export async function auditSet(
  set: TrainSet,
  specs: KeySpec[],
  opts: CvOptions,
): Promise<{ held: HeldOut; cl: ConfidentLearning; order: FaceScore[] }> {
  const held = await heldOutPredictions(set, opts);
  const cl = confidentLearning(set, specs, held.p);
  const { faces } = scoreIssues(cl, () => undefined);
  return { held, cl, order: faces.sort((a, b) => b.score - a.score || a.row - b.row) };
}
