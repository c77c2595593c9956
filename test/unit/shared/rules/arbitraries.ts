// fast-check generators for rule-language trees and face facts, shared by the rule-engine property tests.
import fc from 'fast-check';
import type { Expr } from '../../../../src/shared/rules';
import {
  AGE_BUCKETS,
  EXPRESSIONS,
  GENDERS,
  PARSING_CLASSES,
  RACES,
  type CelebaAttribute,
} from '../../../../src/shared/taxonomy';

const cmpOp = fc.constantFrom('==', '!=', '<', '<=', '>', '>=' as const);
const eqOp = fc.constantFrom('==', '!=' as const);

/** Any well-formed expression over the given attributes, all comparison kinds, areas and count functions. */
export function exprArb(attrs: readonly CelebaAttribute[], maxDepth = 4): fc.Arbitrary<Expr> {
  const leaf: fc.Arbitrary<Expr> = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...attrs).map((name): Expr => ({ kind: 'attr', name })) },
    fc.record({
      kind: fc.constant('cmp'),
      field: fc.constant('gender'),
      op: eqOp,
      value: fc.constantFrom(...GENDERS),
    }),
    fc.record({
      kind: fc.constant('cmp'),
      field: fc.constant('race'),
      op: eqOp,
      value: fc.constantFrom(...RACES),
    }),
    fc.record({
      kind: fc.constant('cmp'),
      field: fc.constant('expression'),
      op: eqOp,
      value: fc.constantFrom(...EXPRESSIONS),
    }),
    fc.record({
      kind: fc.constant('cmp'),
      field: fc.constant('age'),
      op: cmpOp,
      value: fc.integer({ min: 0, max: 99 }),
    }),
    fc.record({
      kind: fc.constant('cmp'),
      field: fc.constant('age_bucket'),
      op: cmpOp,
      value: fc.constantFrom(...AGE_BUCKETS),
    }),
    fc.record({
      kind: fc.constant('area'),
      cls: fc.constantFrom(...PARSING_CLASSES),
      op: cmpOp,
      value: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  ) as fc.Arbitrary<Expr>;
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', maxDepth, withCrossShrink: true },
      leaf,
      tie('expr').map((arg): Expr => ({ kind: 'not', arg })),
      fc
        .record({
          kind: fc.constantFrom('and', 'or', 'implies', 'iff' as const),
          left: tie('expr'),
          right: tie('expr'),
        })
        .map((e) => e as Expr),
      fc
        .record({
          fn: fc.constantFrom('atmost1', 'exactly1' as const),
          args: fc.array(tie('expr'), { minLength: 2, maxLength: 4 }),
        })
        .map(({ fn, args }): Expr => ({ kind: 'count', fn, args })),
    ),
  }));
  return expr;
}

/** Expressions over binary attributes only (for exhaustive checks). */
export function boolExprArb(attrs: readonly CelebaAttribute[], maxDepth = 4): fc.Arbitrary<Expr> {
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', maxDepth },
      fc.constantFrom(...attrs).map((name): Expr => ({ kind: 'attr', name })),
      tie('expr').map((arg): Expr => ({ kind: 'not', arg })),
      fc
        .record({
          kind: fc.constantFrom('and', 'or', 'implies', 'iff' as const),
          left: tie('expr'),
          right: tie('expr'),
        })
        .map((e) => e as Expr),
      fc
        .record({
          fn: fc.constantFrom('atmost1', 'exactly1' as const),
          args: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }),
        })
        .map(({ fn, args }): Expr => ({ kind: 'count', fn, args })),
    ),
  }));
  return expr;
}
