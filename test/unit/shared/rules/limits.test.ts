// Rule-language limits: deep and long inputs are refused at line:column, never crash the parser or the engine.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RULE_LIMITS,
  RuleSet,
  parseExpression,
  parseRules,
  printRule,
  type Rule,
} from '../../../../src/shared/rules';
import { CELEBA_ATTRIBUTES } from '../../../../src/shared/taxonomy';
import { AppError } from '../../../../src/shared/errors';

const { maxDepth, maxLineLength } = RULE_LIMITS;

/** Parses one rule line; either a rule or one located parse_error, and never any other exception. */
function parseOne(line: string): { rule?: Rule; error?: AppError } {
  const { rules, errors } = parseRules(line);
  expect(rules.length + errors.length).toBe(1);
  return { rule: rules[0], error: errors[0] };
}

/** Every stage that walks a rule's tree: compile, evaluate with fixes, explain, print. */
function runEverywhere(rule: Rule): void {
  const set = new RuleSet([rule]);
  const values = Object.fromEntries(CELEBA_ATTRIBUTES.map((a, i) => [a, i % 2 === 0 ? 1 : -1]));
  set.evaluateFace({ labels: { values }, predictions: { values: {} } });
  printRule(rule);
}

describe('rule limits', () => {
  it('refuses the deep and long inputs that overflowed the stack, at line and column', () => {
    const cases = [
      `r1: error: ${'!'.repeat(6000)}Bald`,
      `r1: error: ${'!'.repeat(100_000)}Bald`,
      `r1: error: ${'('.repeat(10_000)}Bald${')'.repeat(10_000)}`,
      `r1: error: Bald${' & Bangs'.repeat(20_000)}`,
      `r1: error: Bald${' -> Bangs'.repeat(5_000)}`,
      `r1: error: atmost1(${'atmost1('.repeat(3000)}Bald, Bangs${'), Bangs'.repeat(3000)})`,
    ];
    for (const line of cases) {
      const { error } = parseOne(line);
      expect(error?.code).toBe('parse_error');
      expect(error?.where?.line).toBe(1);
      expect(error?.where?.column).toBeGreaterThan(11);
      expect(error?.message).toMatch(/levels deep|characters long/);
    }
  });

  it('accepts depth and length up to the limits, and every stage evaluates what the parser accepts', () => {
    // maxDepth - 1 negations over an attribute: a tree exactly maxDepth deep.
    const deepest = parseOne(`r1: error: ${'!'.repeat(maxDepth - 1)}Bald`);
    expect(deepest.error).toBeUndefined();
    runEverywhere(deepest.rule!);
    // One more level: refused at the operator whose subtree is too deep (here the first "!").
    expect(parseOne(`r1: error: ${'!'.repeat(maxDepth)}Bald`).error?.where?.column).toBe(12);

    const chain = `r1: error: Bald${' | Bangs'.repeat(maxDepth - 1)}`;
    expect(chain.length).toBeLessThan(maxLineLength);
    const ok = parseOne(chain);
    expect(ok.error).toBeUndefined();
    runEverywhere(ok.rule!);

    const long = `r1: error: Bald  # ${'x'.repeat(maxLineLength)}`;
    expect(parseOne(long).error?.message).toMatch(
      new RegExp(`${long.length} characters long; a rule fits in ${maxLineLength}`),
    );
    expect(() => parseExpression('('.repeat(maxDepth + 1) + 'Bald' + ')'.repeat(maxDepth + 1))).toThrow(
      /levels deep/,
    );
  });

  it('reads a rules file that starts with a UTF-8 byte-order mark', () => {
    const { rules, errors } = parseRules('\uFEFFr1: error: Bald -> !Bangs\r\nr2: warning: Male\n');
    expect(errors).toEqual([]);
    expect(rules.map((r) => r.id)).toEqual(['r1', 'r2']);
  });

  it('fuzz: deep and long random rule lines either parse and evaluate everywhere, or are refused with a location', () => {
    const atom = fc.constantFrom(
      'Bald',
      'Bangs',
      'Male',
      'age >= 50',
      'area(hair) > 0.1',
      'gender == Female',
    );
    const op = fc.constantFrom(' & ', ' | ', ' -> ', ' <-> ', ', ');
    const piece = fc.oneof(
      fc.tuple(fc.constantFrom('!', '(', ')', 'atmost1(', 'exactly1('), fc.integer({ min: 1, max: 6000 })),
      fc.tuple(
        fc.tuple(atom, op).map(([a, o]) => a + o),
        fc.integer({ min: 1, max: 3000 }),
      ),
      fc.tuple(atom, fc.constant(1)),
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), (pieces) => {
        const body = pieces.map(([p, n]) => p.repeat(n)).join('');
        const { rule, error } = parseOne(`r1: error: ${body}`);
        if (rule) runEverywhere(rule);
        else {
          expect(error).toBeInstanceOf(AppError);
          expect(error!.code).toBe('parse_error');
          expect(error!.where?.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });
});
