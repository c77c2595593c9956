// Confident learning on held-out probabilities: planted flips come first, and no row is judged by its own label.
import { describe, expect, it } from 'vitest';
import { CELEBA_ATTRIBUTES } from '../../../../src/shared/taxonomy';
import { foldsOf } from '../../../../src/main/learning/evaluate';
import { predictHeads, trainHeads, type TrainSet } from '../../../../src/main/learning/heads';
import {
  auditSet,
  binarySpecs,
  classProbs,
  confidentLearning,
  issueScore,
} from '../../../../src/main/learning/label-issues';
import { linearAttributes, plantFlips } from './synthetic';

const KEYS = [...CELEBA_ATTRIBUTES];

/** Share of the flipped rows among the first `top` of the order. */
function recall(order: { row: number }[], flipped: Set<number>, top: number): number {
  let hit = 0;
  for (const f of order.slice(0, top)) if (flipped.has(f.row)) hit++;
  return hit / flipped.size;
}

describe('label issues (confident learning on held-out probabilities)', () => {
  for (const [share, min] of [
    [0.05, 0.8],
    [0.1, 0.8],
    // A fifth of the rows flipped cannot all fit in the first tenth: at most 0.5, random gives 0.1.
    [0.2, 0.4],
  ] as const) {
    it(`puts the planted flips first at ${share * 100} % noise (recall@10 % ≥ ${min})`, async () => {
      const data = linearAttributes(4000, 24, KEYS, 21);
      const flips = plantFlips(data, share, 5);
      const { order } = await auditSet(data, binarySpecs(data), {
        folds: 5,
        seed: 3,
        lambda: 0,
        clauses: null,
      });
      const flipped = new Set(flips.map((f) => f.row));
      expect(recall(order, flipped, 400)).toBeGreaterThanOrEqual(min);
      // The top key of a flipped row in the first tenth names the flipped attribute.
      const top = order.slice(0, 400).filter((f) => flipped.has(f.row));
      const named = top.filter((f) => f.key === KEYS[flips.find((x) => x.row === f.row)!.col]);
      expect(named.length / top.length).toBeGreaterThanOrEqual(0.9);
    });
  }

  it('never repeats a flipped label in its own held-out prediction, where the fitted heads do', async () => {
    const data = linearAttributes(600, 96, KEYS, 4);
    const flips = plantFlips(data, 0.1, 6);
    const k = KEYS.length;
    const { held } = await auditSet(data, binarySpecs(data), { folds: 5, seed: 1, lambda: 0, clauses: null });
    const agrees = (p: number, y: number) => (p >= 0.5 ? 1 : -1) === y;
    const heldOutRepeats = flips.filter((f) => agrees(held.p[f.row * k + f.col]!, -f.truth)).length;
    // The old behaviour: heads fitted on every labelled face (flips included), asked about those same faces.
    const heads = await trainHeads(data, { epochs: 60 });
    const fitted = predictHeads(heads, data.x, data.n);
    const fittedRepeats = flips.filter((f) => agrees(fitted[f.row * k + f.col]!, -f.truth)).length;
    expect(heldOutRepeats / flips.length).toBeLessThan(0.15);
    expect(fittedRepeats / flips.length).toBeGreaterThan(0.5);
  });

  it('gives no row a probability from heads trained on its label, and keeps an image in one fold', async () => {
    const data = linearAttributes(240, 8, KEYS, 8);
    // Feature 0 carries the row number, so the trainer can tell which rows it was handed.
    for (let i = 0; i < data.n; i++) data.x[i * data.d] = i;
    // Pairs of rows share an image.
    const groups = Int32Array.from({ length: data.n }, (_, i) => Math.floor(i / 2));
    const trained: Set<number>[] = [];
    const { held } = await auditSet(data, binarySpecs(data), {
      folds: 5,
      seed: 2,
      lambda: 0,
      clauses: null,
      groups,
      trainer: (set: TrainSet, opts) => {
        trained.push(new Set(Array.from({ length: set.n }, (_, i) => set.x[i * set.d]!)));
        return trainHeads(set, { ...opts, epochs: 1 });
      },
    });
    expect(trained).toHaveLength(5);
    for (let i = 0; i < data.n; i++) {
      // The fit that predicted row i (its fold's) never saw it; every other fit did.
      expect(trained[held.fold[i]!]!.has(i)).toBe(false);
      expect(held.fold[i]).toBe(held.fold[i ^ 1]);
    }
    expect(foldsOf(data.n, 5, 2, groups).reduce((a, f) => a + f.length, 0)).toBe(data.n);
  });

  it('computes thresholds, suspects and the calibrated confident joint as the paper defines them', () => {
    // Four rows, one key: labels +1, +1, -1, -1 with held-out P(+1) 0.9, 0.2, 0.1, 0.7.
    const set: TrainSet = {
      x: new Float32Array(4),
      y: Int8Array.from([1, 1, -1, -1]),
      n: 4,
      d: 1,
      keys: ['Bald'],
    };
    const cl = confidentLearning(set, binarySpecs(set), Float32Array.from([0.9, 0.2, 0.1, 0.7]));
    // t(+1) = mean P(+1) over rows labelled +1 = 0.55; t(-1) = mean P(-1) over rows labelled -1 = 0.6.
    expect(cl.thresholds[0]![0]).toBeCloseTo(0.55, 6);
    expect(cl.thresholds[0]![1]).toBeCloseTo(0.6, 6);
    expect(Array.from(cl.suspect)).toEqual([0, 1, 0, 1]);
    expect(cl.noise[0]).toMatchObject({ key: 'Bald', labels: 4, suspects: 2, estimatedWrong: 2, share: 0.5 });
    expect(cl.noise[0]!.joint).toEqual([
      [1, 1],
      [1, 1],
    ]);
    // Score: suspect, held-out disagreement, plus a rule and a model that doubt the label.
    expect(issueScore(false, 0.8, undefined)).toBeCloseTo(0.1, 6);
    expect(issueScore(true, -0.6, undefined)).toBeCloseTo(1.8, 6);
    const rule = { rule: 'r', subject: 'labels', fixTo: '-1' };
    const model = { model: 'faceres', value: '-1', p: 0.9 };
    expect(issueScore(true, -0.6, { rules: [rule], models: [model] })).toBeCloseTo(2.1, 6);
  });

  it('normalises one head per class for a key with more than two values (race), and suggests the most probable other', () => {
    // Columns race=Asian, race=Black, race=White; rows labelled Asian, Asian, White (one-vs-rest: +1 on its class).
    const spec = { key: 'race', classes: ['Asian', 'Black', 'White'], cols: [0, 1, 2], binary: false };
    const set: TrainSet = {
      x: new Float32Array(3),
      y: Int8Array.from([1, -1, -1, 1, -1, -1, -1, -1, 1]),
      n: 3,
      d: 1,
      keys: ['race=Asian', 'race=Black', 'race=White'],
    };
    // Unnormalised one-vs-rest outputs; the third row looks Asian though labelled White.
    const p = Float32Array.from([0.9, 0.05, 0.05, 0.6, 0.3, 0.1, 0.72, 0.08, 0.2]);
    const probs = classProbs(spec, p, 6, new Float64Array(3));
    expect(Array.from(probs).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(probs[0]).toBeCloseTo(0.72, 6);
    const cl = confidentLearning(set, [spec], p);
    // t(Asian) = mean over the rows labelled Asian = (0.9 + 0.6) / 2; t(White) = 0.2 (its one row).
    expect(cl.thresholds[0]![0]).toBeCloseTo(0.75, 6);
    expect(cl.thresholds[0]![2]).toBeCloseTo(0.2, 6);
    expect(Array.from(cl.suspect)).toEqual([0, 0, 0]);
    expect(cl.suggested[2]).toBe(0);
    expect(cl.pSuggested[2]).toBeCloseTo(0.72, 6);
    // With P(Asian) 0.9 before normalising (0.76 after) the White row crosses t(Asian): a suspect.
    p[6] = 0.9;
    const again = confidentLearning(set, [spec], p);
    expect(again.suspect[2]).toBe(1);
    expect(again.noise[0]!.joint[2]![0]).toBe(1);
  });
});
