// Consistent decoding equals brute force, never breaks an error rule, and refuses clearly when it must.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../src/shared/errors';
import {
  F,
  RuleSet,
  decodeConsistent,
  encodeFacts,
  parseRulesOrThrow,
  type Rule,
} from '../../../../src/shared/rules';
import { CELEBA_ATTRIBUTES, type CelebaAttribute } from '../../../../src/shared/taxonomy';
import { boolExprArb } from './arbitraries';

function bruteForce(rules: RuleSet, keys: CelebaAttribute[], probs: Record<string, number>) {
  let best = -Infinity;
  for (let s = 0; s < 1 << keys.length; s++) {
    const values: Record<string, 1 | -1> = {};
    let lp = 0;
    keys.forEach((k, i) => {
      const on = (s & (1 << i)) !== 0;
      values[k] = on ? 1 : -1;
      lp += Math.log(on ? probs[k]! : 1 - probs[k]!);
    });
    const enc = encodeFacts({ values });
    if (rules.rules.every((r) => r.rule.severity !== 'error' || r.test(enc) !== F)) best = Math.max(best, lp);
  }
  return best;
}

const violatesNone = (rules: RuleSet, values: Record<string, unknown>) => {
  const enc = encodeFacts({ values: values as never });
  return rules.rules.every((r) => r.rule.severity !== 'error' || r.test(enc) !== F);
};

describe('consistent decoding', () => {
  const keys = CELEBA_ATTRIBUTES.slice(0, 12) as unknown as CelebaAttribute[];
  const probsArb = fc.tuple(...keys.map(() => fc.double({ min: 0.01, max: 0.99, noNaN: true })));
  const rulesArb = fc.array(fc.tuple(boolExprArb(keys, 3), fc.constantFrom('error', 'warning' as const)), {
    minLength: 1,
    maxLength: 6,
  });

  it('finds the brute-force optimum over up to 12 attributes and random rule sets', () => {
    fc.assert(
      fc.property(rulesArb, probsArb, fc.integer({ min: 2, max: 12 }), (rs, ps, n) => {
        const rules = new RuleSet(
          rs.map(([expr, severity], i): Rule => ({ id: `r${i}`, severity, expr, rationale: null, line: 0 })),
        );
        const used = keys.slice(0, n);
        const probs = Object.fromEntries(used.map((k, i) => [k, ps[i]!]));
        const best = bruteForce(rules, used, probs);
        // Rules over attributes outside `used` read unknowns; brute force and decoding see the same facts.
        const run = (enumerateUpTo?: number) => decodeConsistent(rules, { probs }, { enumerateUpTo });
        if (best === -Infinity) {
          expect(() => run()).toThrow(AppError);
          return;
        }
        for (const r of [run(), run(1)]) {
          expect(r.logProb).toBeCloseTo(best, 9);
          expect(violatesNone(rules, r.values)).toBe(true);
        }
        expect(run(1).groups.every((g) => g.method !== 'enumerate')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps unconstrained attributes at their argmax and splits groups by rule', () => {
    const rules = new RuleSet(
      parseRulesOrThrow(
        'a: error: atmost1(Black_Hair, Blond_Hair)\nb: error: Bald -> !Bangs\nw: warning: Smiling -> Young',
      ),
    );
    const r = decodeConsistent(rules, {
      probs: { Black_Hair: 0.9, Blond_Hair: 0.8, Bald: 0.7, Bangs: 0.6, Smiling: 0.9, Young: 0.2 },
    });
    expect(r.values).toEqual({ Black_Hair: 1, Blond_Hair: -1, Bald: 1, Bangs: -1, Smiling: 1, Young: -1 });
    expect(r.groups.map((g) => [g.keys, g.method])).toEqual([
      [['Black_Hair', 'Blond_Hair'], 'enumerate'],
      [['Bald', 'Bangs'], 'enumerate'],
      [['Smiling'], 'independent'],
      [['Young'], 'independent'],
    ]);
  });

  it('decodes categorical fields against fixed facts', () => {
    const rules = new RuleSet(
      parseRulesOrThrow('m: error: Male <-> gender == Male\ny: error: age >= 50 -> !Young'),
    );
    const r = decodeConsistent(rules, {
      probs: { Male: 0.4, gender: { Male: 0.9, Female: 0.1 }, Young: 0.7 },
      facts: { values: { age: 61, Young: 1 } },
    });
    expect(r.values).toEqual({ Male: 1, gender: 'Male', Young: -1 });
  });

  it('solves a group of 20 attributes exactly by branch-and-bound', () => {
    const attrs = CELEBA_ATTRIBUTES.slice(0, 20);
    const chain = attrs
      .slice(1)
      .map((a, i) => `c${i}: error: ${attrs[i]} -> ${a}`)
      .join('\n');
    const rules = new RuleSet(parseRulesOrThrow(chain));
    const probs = Object.fromEntries(attrs.map((a, i) => [a, i === 0 ? 0.99 : 0.3]));
    const r = decodeConsistent(rules, { probs });
    expect(r.groups[0]!.method).toBe('branch-and-bound');
    // Either the first is off and all others follow their own argmax (-1), or the whole chain is on.
    const allOn = Math.log(0.99) + 19 * Math.log(0.3);
    const firstOff = Math.log(0.01) + 19 * Math.log(0.7);
    expect(r.logProb).toBeCloseTo(Math.max(allOn, firstOff), 9);
  });

  it('reports a conflict when no labelling satisfies the error rules', () => {
    const rules = new RuleSet(parseRulesOrThrow('x: error: Bald & !Bald'));
    expect(() => decodeConsistent(rules, { probs: { Bald: 0.5 } })).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
  });

  it('refuses past its node budget, and rejects bad distributions', () => {
    const attrs = CELEBA_ATTRIBUTES.slice(0, 24);
    const rules = new RuleSet(parseRulesOrThrow(`x: error: exactly1(${attrs.join(', ')})`));
    const probs = Object.fromEntries(attrs.map((a) => [a, 0.9]));
    // A full descent alone takes 25 nodes.
    expect(decodeConsistent(rules, { probs }).groups[0]!.method).toBe('branch-and-bound');
    expect(() => decodeConsistent(rules, { probs }, { nodeBudget: 20 })).toThrow(
      expect.objectContaining({ code: 'invalid_request', message: expect.stringContaining('gave up') }),
    );
    expect(() => decodeConsistent(rules, { probs: { gender: 0.5 } })).toThrow('needs a distribution');
    expect(() => decodeConsistent(rules, { probs: { gender: { Man: 1 } } })).toThrow(
      '"Man" is not a value of "gender"',
    );
  });
});
