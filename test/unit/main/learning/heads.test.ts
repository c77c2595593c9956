// Learned heads on generated embeddings: accuracy, the constraint loss, CV folds, kernels and rule clauses.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../../../src/shared/rules';
import { CELEBA_ATTRIBUTES } from '../../../../src/shared/taxonomy';
import { clausesFromRules, packClauses, violatesAny } from '../../../../src/shared/rules/clauses';
import { crossValidate, foldsOf } from '../../../../src/main/learning/evaluate';
import {
  headsFromBlob,
  headsToBlob,
  predictHeads,
  trainHeads,
  type TrainSet,
} from '../../../../src/main/learning/heads';
import { Kernels } from '../../../../src/main/learning/simd';
import { ROOT } from '../../../helpers/fs';
import { exclusivePair, linearAttributes } from './synthetic';

const defaultRules = parseRules(readFileSync(`${ROOT}/resources/rules/default.rules`, 'utf8')).rules;

describe('SIMD kernels', () => {
  it('compute x·w and xᵀ·g like plain loops', () => {
    const [d, kp, rows] = [12, 8, 7];
    const k = new Kernels(d, kp);
    const x = k.alloc(8 * d);
    const w = k.alloc(d * kp);
    const z = k.alloc(8 * kp);
    const gw = k.alloc(d * kp);
    const X = k.view(x, 8 * d).map((_, i) => Math.sin(i));
    const W = k.view(w, d * kp).map((_, i) => Math.cos(i * 0.7));
    k.view(x, 8 * d).set(X);
    k.view(w, d * kp).set(W);
    k.forward(x, w, z, 8);
    const Z = k.view(z, 8 * kp);
    for (let i = 0; i < rows; i++)
      for (let c = 0; c < kp; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += X[i * d + j]! * W[j * kp + c]!;
        expect(Z[i * kp + c]).toBeCloseTo(s, 4);
      }
    k.backward(x, z, gw, rows);
    const GW = k.view(gw, d * kp);
    for (let j = 0; j < d; j++)
      for (let c = 0; c < kp; c++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += X[i * d + j]! * Z[i * kp + c]!;
        expect(GW[j * kp + c]).toBeCloseTo(s, 3);
      }
  });
});

describe('learned heads', () => {
  it('reach ≥ 95 % balanced accuracy on embeddings with linear attribute structure', async () => {
    const keys = CELEBA_ATTRIBUTES.slice(0, 10);
    const set = linearAttributes(3000, 64, [...keys], 1);
    const cv = await crossValidate(set, { folds: 3, lambda: 0, clauses: null });
    expect(cv.meanBalancedAccuracy).toBeGreaterThanOrEqual(0.95);
    for (const a of cv.attributes) {
      expect(a.balancedAccuracy).toBeGreaterThan(0.9);
      // The heads beat always answering the majority value.
      expect(a.accuracy).toBeGreaterThan(a.majorityBaseline);
    }
  });

  it('break A -> !B less often with λ > 0 than with λ = 0 on contradiction-prone data', async () => {
    const set = exclusivePair(4000, 64);
    const clauses = packClauses(
      clausesFromRules(parseRules('bald-no-bangs: error: Bald -> !Bangs').rules, set.keys).used[0]!.clauses,
      set.keys,
    );
    const cv = await crossValidate(set, { folds: 3, lambda: 3, clauses });
    const { withConstraint, withoutConstraint } = cv.violationRate;
    expect(withoutConstraint).toBeGreaterThan(0.1);
    expect(withConstraint).toBeLessThan(withoutConstraint - 0.08);
    expect(withConstraint).toBeLessThan(withoutConstraint * 0.6);
  });

  it('never trains a fold on its own test faces', async () => {
    const base = linearAttributes(200, 8, ['Bald', 'Bangs'], 5);
    // Feature 0 carries the row number, so the trainer can tell which faces it was handed.
    for (let i = 0; i < base.n; i++) base.x[i * base.d] = i;
    const seen: { test: Set<number>; trained: number[] }[] = [];
    const folds = foldsOf(base.n, 5, 7);
    let fold = -1;
    await crossValidate(base, {
      folds: 5,
      lambda: 0,
      clauses: null,
      onFold: (f) => {
        fold = f;
      },
      trainer: (set: TrainSet, opts) => {
        seen.push({
          test: new Set(folds[fold]!),
          trained: Array.from({ length: set.n }, (_, i) => set.x[i * set.d]!),
        });
        return trainHeads(set, { ...opts, epochs: 1 });
      },
    });
    expect(seen).toHaveLength(5);
    const union = new Set<number>();
    for (const s of seen) {
      expect(s.trained.filter((r) => s.test.has(r))).toEqual([]);
      expect(s.trained.length + s.test.size).toBe(base.n);
      for (const r of s.test) union.add(r);
    }
    expect(union.size).toBe(base.n);
  });

  it('stores and reloads weights that predict the same probabilities', async () => {
    const set = linearAttributes(300, 16, ['Smiling', 'Young'], 9);
    const heads = await trainHeads(set, { epochs: 3 });
    const again = headsFromBlob(headsToBlob(heads), heads.keys, heads.d);
    expect(Array.from(predictHeads(again, set.x, 10))).toEqual(Array.from(predictHeads(heads, set.x, 10)));
  });
});

describe('rule clauses', () => {
  it('turns the default error rules over attributes into clauses and says why the rest are skipped', () => {
    const { used, skipped } = clausesFromRules(defaultRules, CELEBA_ATTRIBUTES);
    const byId = new Map(used.map((u) => [u.ruleId, u.clauses]));
    expect([...byId.keys()].sort()).toEqual(
      [
        'one-hair-colour',
        'straight-or-wavy',
        'bald-no-bangs',
        'bald-not-straight',
        'bald-not-wavy',
        'goatee-has-beard',
        'mustache-has-beard',
      ].sort(),
    );
    // atmost1 over four attributes: the six pairs.
    expect(byId.get('one-hair-colour')).toHaveLength(6);
    expect(byId.get('bald-no-bangs')).toEqual([
      [
        { key: 'Bald', pos: false },
        { key: 'Bangs', pos: false },
      ],
    ]);
    const why = new Map(skipped.map((s) => [s.ruleId, s.reason]));
    expect(why.get('male-gender')).toMatch(/gender/);
    expect(why.get('young-not-over-50')).toMatch(/age/);
    expect(why.get('glasses-seen')).toMatch(/warning/);
  });

  it('flags hard predictions that break a clause', () => {
    const keys = ['Bald', 'Bangs'];
    const c = packClauses(
      clausesFromRules(parseRules('x: error: Bald -> !Bangs').rules, keys).used[0]!.clauses,
      keys,
    );
    expect(violatesAny([0.9, 0.8], 0, c)).toBe(true);
    expect(violatesAny([0.9, 0.2], 0, c)).toBe(false);
  });
});
