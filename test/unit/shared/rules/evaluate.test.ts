// Three-valued semantics, subjects (labels / predictions / cross), explanations and suggested fixes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  F,
  RuleSet,
  T,
  U,
  compileExpr,
  effectiveLabels,
  encodeFacts,
  parseExpression,
  predictionFacts,
  type FaceFacts,
  type Fix,
  type Rule,
} from '../../../../src/shared/rules';
import { DERIVED_MASK_CLASSES, type CelebaAttribute, type LabelValue } from '../../../../src/shared/taxonomy';
import { boolExprArb } from './arbitraries';

const truth = (expr: string, values: FaceFacts['values'], areas?: FaceFacts['areas']) =>
  compileExpr(parseExpression(expr))(encodeFacts({ values, areas: areas ?? null }));

const rule = (id: string, text: string, severity: Rule['severity'] = 'error'): Rule => ({
  id,
  severity,
  expr: parseExpression(text),
  rationale: null,
  line: 0,
});

// Kleene's strong three-valued tables, written out by hand (undefined = unknown).
const V = [1, -1, undefined] as const;
const tv = (x: 1 | -1 | undefined) => (x === 1 ? T : x === -1 ? F : U);
const kleene = {
  not: (a: number) => 2 - a,
  and: (a: number, b: number) => (a === F || b === F ? F : a === U || b === U ? U : T),
  or: (a: number, b: number) => (a === T || b === T ? T : a === U || b === U ? U : F),
  implies: (a: number, b: number) => (a === F || b === T ? T : a === U || b === U ? U : F),
  iff: (a: number, b: number) => (a === U || b === U ? U : a === b ? T : F),
};

describe('truth tables', () => {
  it.each([
    ['Bald & Bangs', kleene.and],
    ['Bald | Bangs', kleene.or],
    ['Bald -> Bangs', kleene.implies],
    ['Bald <-> Bangs', kleene.iff],
  ] as const)('%s follows the Kleene table, unknowns included', (expr, table) => {
    for (const a of V)
      for (const b of V) expect(truth(expr, { Bald: a, Bangs: b }), `${a} ${b}`).toBe(table(tv(a), tv(b)));
  });

  it('negates T, F and U', () => {
    for (const a of V) expect(truth('!Bald', { Bald: a })).toBe(kleene.not(tv(a)));
  });

  it('counts with unknowns: atmost1 and exactly1', () => {
    for (const a of V) {
      for (const b of V) {
        for (const c of V) {
          const vals = [a, b, c];
          const t = vals.filter((x) => x === 1).length;
          const u = vals.filter((x) => x === undefined).length;
          const atmost = t >= 2 ? F : t + u <= 1 ? T : U;
          const exactly = t >= 2 ? F : t === 1 && u === 0 ? T : t + u === 0 ? F : U;
          const values = { Bald: a, Bangs: b, Male: c };
          expect(truth('atmost1(Bald, Bangs, Male)', values), `${vals}`).toBe(atmost);
          expect(truth('exactly1(Bald, Bangs, Male)', values), `${vals}`).toBe(exactly);
        }
      }
    }
  });

  it('compares gender and expression, unknown when missing', () => {
    expect(truth('gender == Male', { gender: 'Male' })).toBe(T);
    expect(truth('gender == Male', { gender: 'Female' })).toBe(F);
    expect(truth('gender != Male', { gender: 'Female' })).toBe(T);
    expect(truth('gender == Male', {})).toBe(U);
    expect(truth('expression == happy', { expression: 'sad' })).toBe(F);
    expect(truth('expression != happy', {})).toBe(U);
  });

  it('compares age as an interval: exact years, or the range of a bucket', () => {
    expect(truth('age >= 50', { age: 50 })).toBe(T);
    expect(truth('age >= 50', { age: 49 })).toBe(F);
    expect(truth('age >= 50', { age_bucket: '50-59' })).toBe(T);
    expect(truth('age >= 50', { age_bucket: '40-49' })).toBe(F);
    expect(truth('age >= 45', { age_bucket: '40-49' })).toBe(U);
    expect(truth('age < 70', { age_bucket: '70+' })).toBe(F);
    expect(truth('age == 45', { age_bucket: '40-49' })).toBe(U);
    expect(truth('age != 45', { age_bucket: '50-59' })).toBe(T);
    expect(truth('age > 3', {})).toBe(U);
  });

  it('derives age_bucket from years and compares buckets in order', () => {
    expect(truth('age_bucket == "60-69"', { age: 64 })).toBe(T);
    expect(truth('age_bucket == "60-69"', { age: 70 })).toBe(F);
    expect(truth('age_bucket == "70+"', { age: 101 })).toBe(T);
    expect(truth('age_bucket >= "50-59"', { age_bucket: '70+' })).toBe(T);
    expect(truth('age_bucket < "10-19"', { age: 2 })).toBe(T);
    expect(truth('age_bucket <= "0-2"', { age_bucket: '3-9' })).toBe(F);
    expect(truth('age_bucket > "20-29"', { age_bucket: '20-29' })).toBe(F);
    expect(truth('age_bucket != "20-29"', {})).toBe(U);
    // A labelled bucket wins over the years for bucket comparisons (both are kept as given).
    expect(truth('age_bucket == "20-29"', { age: 35, age_bucket: '20-29' })).toBe(T);
  });

  it('compares races through the lossy UTKFace <-> FairFace mapping', () => {
    expect(truth('race == "East Asian"', { race: 'East Asian' })).toBe(T);
    expect(truth('race == "East Asian"', { race: 'Asian' })).toBe(U);
    expect(truth('race == "East Asian"', { race: 'White' })).toBe(F);
    expect(truth('race == Asian', { race: 'Southeast Asian' })).toBe(T);
    expect(truth('race != Asian', { race: 'Indian' })).toBe(T);
    expect(truth('race == Others', { race: 'Middle Eastern' })).toBe(T);
    expect(truth('race == Latino_Hispanic', { race: 'Others' })).toBe(U);
    expect(truth('race == White', {})).toBe(U);
  });

  it('treats an area as unknown when the map cannot express the class', () => {
    const derived = {
      source: 'derived' as const,
      classes: DERIVED_MASK_CLASSES,
      fraction: { hair: 0.2, skin: 0.4 },
    };
    expect(truth('Eyeglasses -> area(eye_g) > 0.002', { Eyeglasses: 1 }, derived)).toBe(U);
    expect(truth('area(hair) > 0.1', {}, derived)).toBe(T);
    // Expressible but absent from the fractions: zero, not unknown.
    expect(truth('area(mouth) > 0.001', {}, derived)).toBe(F);
    const model = { source: 'model' as const, classes: ['eye_g'], fraction: {} };
    expect(truth('Eyeglasses -> area(eye_g) > 0.002', { Eyeglasses: 1 }, model)).toBe(F);
    expect(truth('area(eye_g) >= 0', {}, null)).toBe(U);
  });
});

describe('subjects', () => {
  const rs = new RuleSet([
    rule('male-gender', 'Male <-> gender == Male'),
    rule('bald-no-bangs', 'Bald -> !Bangs'),
    rule('glasses-seen', 'Eyeglasses -> area(eye_g) > 0.002', 'warning'),
  ]);

  it('reports label contradictions under labels and model contradictions under predictions', () => {
    const v = rs.evaluateFace({
      labels: { values: { Bald: 1, Bangs: 1 } },
      predictions: { values: { Male: -1, gender: 'Male' } },
    });
    expect(v.map((x) => [x.ruleId, x.subject])).toEqual([
      ['bald-no-bangs', 'labels'],
      ['male-gender', 'predictions'],
    ]);
    expect(v[0]!.values).toEqual([
      { key: 'Bald', value: 1, source: 'label' },
      { key: 'Bangs', value: 1, source: 'label' },
    ]);
  });

  it('reports label-vs-model and label-vs-map contradictions as cross, once', () => {
    const v = rs.evaluateFace({
      labels: { values: { Male: 1, Eyeglasses: 1 } },
      predictions: { values: { gender: 'Female' }, confidence: { gender: 0.9 } },
      areas: { source: 'import', classes: ['eye_g', 'skin'], fraction: { skin: 0.5 } },
    });
    expect(v.map((x) => [x.ruleId, x.subject])).toEqual([
      ['male-gender', 'cross'],
      ['glasses-seen', 'cross'],
    ]);
    expect(v[0]!.values).toEqual([
      { key: 'Male', value: 1, source: 'label' },
      { key: 'gender', value: 'Female', source: 'prediction' },
    ]);
    expect(v[1]!.values).toEqual([
      { key: 'Eyeglasses', value: 1, source: 'label' },
      { key: 'area(eye_g)', value: 0, source: 'mask' },
    ]);
    expect(v[0]!.explanation).toBe(
      'male-gender: Male holds but gender == Male does not hold; they must agree (Male = 1, gender = Female)',
    );
    // Changing the 0.9-confident prediction costs more than the label: the label fix comes first.
    expect(v[0]!.fixes.map((f) => f.changes)).toEqual([
      [{ key: 'Male', from: 1, to: -1 }],
      [{ key: 'gender', from: 'Female', to: 'Male' }],
    ]);
  });

  it('does not repeat a labels violation as cross, and leaves derived maps out of eye_g checks', () => {
    const v = rs.evaluateFace({
      labels: { values: { Male: 1, gender: 'Female', Eyeglasses: 1 } },
      predictions: { values: { gender: 'Female' } },
      areas: { source: 'derived', classes: DERIVED_MASK_CLASSES, fraction: {} },
    });
    expect(v.map((x) => [x.ruleId, x.subject])).toEqual([['male-gender', 'labels']]);
  });

  it('keeps a labelled age bucket over a predicted age when combining sources', () => {
    const r = new RuleSet([rule('old', 'age >= 50 -> !Young')]);
    const labels = { values: { Young: 1, age_bucket: '40-49' } } as const;
    expect(r.evaluateFace({ labels, predictions: { values: { age: 58 } } })).toEqual([]);
    const [v] = r.evaluateFace({ labels: { values: { Young: 1 } }, predictions: { values: { age: 58 } } });
    expect(v!.subject).toBe('cross');
    expect(v!.values).toEqual([
      { key: 'age', value: 58, source: 'prediction' },
      { key: 'Young', value: 1, source: 'label' },
    ]);
  });

  it('explains counting and implication rules', () => {
    const r = new RuleSet([
      { ...rule('hair', 'atmost1(Black_Hair, Blond_Hair, Gray_Hair)'), rationale: 'one colour' },
      rule('old', 'age >= 50 -> !Young'),
    ]);
    const v = r.evaluateFace({
      labels: { values: { Black_Hair: 1, Gray_Hair: 1, Young: 1, age_bucket: '60-69' } },
    });
    expect(v.map((x) => x.explanation)).toEqual([
      'hair: at most one of Black_Hair, Blond_Hair, Gray_Hair may hold, but Black_Hair and Gray_Hair do (Black_Hair = 1, Gray_Hair = 1). Why: one colour',
      'old: because age >= 50 holds, !Young should hold too, but it does not (age_bucket = 60-69, Young = 1)',
    ]);
    expect(v[1]!.fixes.map((f) => f.changes)).toEqual([
      [{ key: 'age_bucket', from: '60-69', to: '40-49' }],
      [{ key: 'Young', from: 1, to: -1 }],
    ]);
  });
});

describe('facts', () => {
  it('takes the human label over the import, and a human null clears it', () => {
    expect(
      effectiveLabels([
        { key: 'Bald', source: 'import', value: 1 },
        { key: 'Bald', source: 'human', value: -1 },
        { key: 'Bangs', source: 'human', value: 1 },
        { key: 'Male', source: 'import', value: 1 },
        { key: 'Male', source: 'human', value: null },
      ]).values,
    ).toEqual({ Bald: -1, Bangs: 1 });
  });

  it('thresholds predictions per attribute and keeps their confidence', () => {
    const f = predictionFacts(
      [
        { task: 'Eyeglasses', value: { value: 1, p: 0.6 } },
        { task: 'Smiling', value: { value: 1, p: 0.6 } },
        { task: 'gender', value: { label: 'Female', p: 0.8 } },
        { task: 'age', value: { years: 41.6 } },
        { task: 'race', value: { label: 'Asian', probs: { Asian: 0.7 } } },
        { task: 'expression', value: { label: 'happy', probs: { happy: 0.9 } } },
        { task: 'expression', value: { label: 'grinning' } },
        { task: 'unknown-task', value: { p: 1 } },
      ],
      { thresholds: { Eyeglasses: 0.7 } },
    );
    expect(f.values).toEqual({
      Eyeglasses: -1,
      Smiling: 1,
      gender: 'Female',
      age: 42,
      race: 'Asian',
      expression: 'happy',
    });
    expect(f.confidence?.Eyeglasses).toBeCloseTo(0.4);
    expect(f.confidence).toMatchObject({ Smiling: 0.6, gender: 0.8, race: 0.7, expression: 0.9 });
  });
});

describe('suggested fixes', () => {
  const attrs: CelebaAttribute[] = ['Bald', 'Bangs', 'Male', 'Young', 'Smiling'];
  const valuesArb = fc.record(
    Object.fromEntries(attrs.map((a) => [a, fc.constantFrom(1, -1, undefined)])) as Record<
      CelebaAttribute,
      fc.Arbitrary<1 | -1 | undefined>
    >,
  );
  const apply = (values: FaceFacts['values'], changes: Fix['changes']) => {
    const out: Record<string, LabelValue | undefined> = { ...values };
    for (const c of changes) out[c.key] = c.to;
    return out;
  };

  it('each fix makes the rule hold (or unknown) and no smaller set of its changes does', () => {
    fc.assert(
      fc.property(boolExprArb(attrs), valuesArb, (expr, values) => {
        const rs = new RuleSet([{ id: 'r', severity: 'error', expr, rationale: null, line: 0 }]);
        const test = compileExpr(expr);
        const holds = (v: FaceFacts['values']) => test(encodeFacts({ values: v })) !== F;
        const [violation] = rs.evaluateFace({ labels: { values } }, { maxFixes: 100, maxChanges: 5 });
        if (!violation) return;
        // A fix exists exactly when some assignment of the known values satisfies the rule.
        const known = attrs.filter((a) => values[a] !== undefined);
        let satisfiable = false;
        for (let s = 0; s < 1 << known.length; s++) {
          const trial: Record<string, LabelValue | undefined> = { ...values };
          known.forEach((a, i) => (trial[a] = s & (1 << i) ? 1 : -1));
          satisfiable ||= holds(trial);
        }
        expect(violation.fixes.length > 0).toBe(satisfiable);
        for (const fix of violation.fixes) {
          expect(holds(apply(values, fix.changes))).toBe(true);
          // Binary attributes have one alternative each, so "minimal" is exact: no proper subset works.
          for (let mask = 0; mask < (1 << fix.changes.length) - 1; mask++) {
            const subset = fix.changes.filter((_, i) => mask & (1 << i));
            expect(holds(apply(values, subset)), JSON.stringify(subset)).toBe(false);
          }
        }
        // Every single flip that works is offered.
        for (const a of known) {
          const flip = [{ key: a, from: values[a]!, to: values[a] === 1 ? -1 : 1 } as const];
          if (holds(apply(values, flip))) expect(violation.fixes.map((f) => f.changes)).toContainEqual(flip);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('ranks cheaper prediction flips first by log-odds', () => {
    const rs = new RuleSet([rule('one', 'atmost1(Black_Hair, Blond_Hair)')]);
    const [v] = rs.evaluateFace({
      predictions: {
        values: { Black_Hair: 1, Blond_Hair: 1 },
        confidence: { Black_Hair: 0.95, Blond_Hair: 0.55 },
      },
    });
    expect(v!.subject).toBe('predictions');
    expect(v!.fixes.map((f) => f.changes[0]!.key)).toEqual(['Blond_Hair', 'Black_Hair']);
    expect(v!.fixes[0]!.cost).toBeCloseTo(Math.log(0.55 / 0.45));
  });

  it('offers the nearest age across the threshold', () => {
    const rs = new RuleSet([rule('old', 'age >= 50 -> !Young')]);
    const [v] = rs.evaluateFace({ labels: { values: { age: 52, Young: 1 } } });
    expect(v!.fixes.map((f) => f.changes)).toEqual([
      [{ key: 'age', from: 52, to: 49 }],
      [{ key: 'Young', from: 1, to: -1 }],
    ]);
  });

  it('can skip fixes for a bulk pass', () => {
    const rs = new RuleSet([rule('b', 'Bald -> !Bangs')]);
    expect(
      rs.evaluateFace({ labels: { values: { Bald: 1, Bangs: 1 } } }, { fixes: false })[0]!.fixes,
    ).toEqual([]);
  });
});
