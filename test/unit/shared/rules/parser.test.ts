// Rule-language parser: every construct, every error (line and column), print -> parse round trips, garbage.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../src/shared/errors';
import {
  parseExpression,
  parseRules,
  parseRulesOrThrow,
  printExpr,
  printRule,
  printRules,
  type Expr,
} from '../../../../src/shared/rules';
import { CELEBA_ATTRIBUTES } from '../../../../src/shared/taxonomy';
import { exprArb } from './arbitraries';

const defaultRules = readFileSync(
  new URL('../../../../resources/rules/default.rules', import.meta.url),
  'utf8',
);

describe('parsing constructs', () => {
  it('parses attributes, negation and the four connectives with their precedence', () => {
    expect(parseExpression('!Bald & Bangs | Male -> Young <-> Smiling')).toEqual({
      kind: 'iff',
      left: {
        kind: 'implies',
        left: {
          kind: 'or',
          left: {
            kind: 'and',
            left: { kind: 'not', arg: { kind: 'attr', name: 'Bald' } },
            right: { kind: 'attr', name: 'Bangs' },
          },
          right: { kind: 'attr', name: 'Male' },
        },
        right: { kind: 'attr', name: 'Young' },
      },
      right: { kind: 'attr', name: 'Smiling' },
    });
  });

  it('groups -> to the right and & | <-> to the left', () => {
    const a = { kind: 'attr', name: 'Bald' };
    const b = { kind: 'attr', name: 'Bangs' };
    const c = { kind: 'attr', name: 'Male' };
    expect(parseExpression('Bald -> Bangs -> Male')).toEqual({
      kind: 'implies',
      left: a,
      right: { kind: 'implies', left: b, right: c },
    });
    expect(parseExpression('Bald & Bangs & Male')).toEqual({
      kind: 'and',
      left: { kind: 'and', left: a, right: b },
      right: c,
    });
    expect(parseExpression('Bald <-> (Bangs <-> Male)')).toEqual({
      kind: 'iff',
      left: a,
      right: { kind: 'iff', left: b, right: c },
    });
  });

  it('parses attribute names that start with a digit', () => {
    expect(parseExpression('5_o_Clock_Shadow -> Male')).toMatchObject({
      left: { kind: 'attr', name: '5_o_Clock_Shadow' },
    });
  });

  it('parses comparisons on every field, with bare and quoted values', () => {
    expect(parseExpression('age >= 50')).toEqual({ kind: 'cmp', field: 'age', op: '>=', value: 50 });
    expect(parseExpression('gender == Male')).toEqual({
      kind: 'cmp',
      field: 'gender',
      op: '==',
      value: 'Male',
    });
    expect(parseExpression('expression != happy')).toEqual({
      kind: 'cmp',
      field: 'expression',
      op: '!=',
      value: 'happy',
    });
    expect(parseExpression('race == "East Asian"')).toEqual({
      kind: 'cmp',
      field: 'race',
      op: '==',
      value: 'East Asian',
    });
    expect(parseExpression('race == Latino_Hispanic')).toEqual({
      kind: 'cmp',
      field: 'race',
      op: '==',
      value: 'Latino_Hispanic',
    });
    expect(parseExpression('age_bucket == "60-69"')).toEqual({
      kind: 'cmp',
      field: 'age_bucket',
      op: '==',
      value: '60-69',
    });
    expect(parseExpression('age_bucket < "more than 70"')).toEqual({
      kind: 'cmp',
      field: 'age_bucket',
      op: '<',
      value: '70+',
    });
  });

  it('parses area comparisons and the counting functions', () => {
    expect(parseExpression('area(eye_g) > 0.002')).toEqual({
      kind: 'area',
      cls: 'eye_g',
      op: '>',
      value: 0.002,
    });
    expect(parseExpression('area(hair) <= 1e-3')).toEqual({
      kind: 'area',
      cls: 'hair',
      op: '<=',
      value: 0.001,
    });
    expect(parseExpression('exactly1(Bald, Bangs & Male, !Young)')).toEqual({
      kind: 'count',
      fn: 'exactly1',
      args: [
        { kind: 'attr', name: 'Bald' },
        { kind: 'and', left: { kind: 'attr', name: 'Bangs' }, right: { kind: 'attr', name: 'Male' } },
        { kind: 'not', arg: { kind: 'attr', name: 'Young' } },
      ],
    });
  });

  it('reads id, severity, rationale and line numbers; skips blanks and comment lines', () => {
    const { rules, errors } = parseRules(
      '# header\n\nbald-no-bangs: error: Bald -> !Bangs  # bangs need hair\n  w-1 : warning :Smiling\n',
    );
    expect(errors).toEqual([]);
    expect(rules).toEqual([
      {
        id: 'bald-no-bangs',
        severity: 'error',
        expr: {
          kind: 'implies',
          left: { kind: 'attr', name: 'Bald' },
          right: { kind: 'not', arg: { kind: 'attr', name: 'Bangs' } },
        },
        rationale: 'bangs need hair',
        line: 3,
      },
      { id: 'w-1', severity: 'warning', expr: { kind: 'attr', name: 'Smiling' }, rationale: null, line: 4 },
    ]);
  });

  it('parses the default rules file: at least 12 rules, each with a rationale', () => {
    const rules = parseRulesOrThrow(defaultRules, { file: 'default.rules' });
    expect(rules.length).toBeGreaterThanOrEqual(12);
    for (const r of rules) {
      expect(r.id).toMatch(/^[a-z0-9-]+$/);
      expect(r.rationale, r.id).toBeTruthy();
    }
  });
});

describe('parse errors', () => {
  const cases: [string, number, string][] = [
    ['Bald -> Bangs', 1, 'invalid rule id "Bald": use lowercase letters, digits and "-"'],
    ['x error: Bald', 3, 'expected ":" after the rule id "x"'],
    ['x: : Bald', 4, 'expected a severity (error or warning)'],
    ['x: err: Bald', 4, 'unknown severity "err" (did you mean "error"?): expected error or warning'],
    ['x: error Bald', 10, 'expected ":" after the severity "error"'],
    ['x: error: ', 11, 'expected an attribute, comparison or function, found end of line'],
    ['x: error: Bald -> # why', 19, 'expected an attribute, comparison or function, found "#"'],
    ['x: error: Baldd', 11, 'unknown attribute "Baldd" (did you mean "Bald"?)'],
    ['x: error: Zzzzzzzz', 11, 'unknown attribute "Zzzzzzzz"'],
    ['x: error: atmost2(Bald, Bangs)', 11, 'unknown function "atmost2" (did you mean "atmost1"?)'],
    ['x: error: atmost1(Bald)', 11, 'atmost1 needs at least 2 arguments'],
    ['x: error: exactly1(Bald Bangs)', 25, 'expected "," or ")" in exactly1(...), found "Bangs"'],
    ['x: error: atmost1 & Bald', 19, 'expected "(" after atmost1'],
    ['x: error: area(eyeg) > 0.1', 16, 'unknown parsing class "eyeg" (did you mean "eye_g"?)'],
    ['x: error: area(3) > 0.1', 16, 'expected a parsing class, found "3"'],
    ['x: error: area(hat > 0.1', 20, 'expected ")" after area(hat, found ">"'],
    [
      'x: error: area(hat) Bald',
      21,
      'expected a comparison (==, !=, <, <=, >, >=) after area(hat), e.g. area(hat) > 0.002,, found "Bald"',
    ],
    ['x: error: area(hat) > big', 23, 'expected a number after ">", found "big"'],
    [
      'x: error: area(hat) > 2',
      23,
      'an area is a fraction of the face region: expected a number from 0 to 1, got 2',
    ],
    ['x: error: gender', 17, '"gender" is a field: compare it, e.g. gender == Male; found end of line'],
    ['x: error: gender == Mal', 21, 'unknown gender "Mal" (did you mean "Male"?)'],
    ['x: error: gender < Male', 18, '"gender" can only be compared with == or !='],
    ['x: error: gender == (', 21, 'expected a value after "==", e.g. gender == Male, found "("'],
    ['x: error: race == "east asian"', 19, 'unknown race "east asian" (did you mean "East Asian"?)'],
    ['x: error: expression == hapy', 25, 'unknown expression "hapy" (did you mean "happy"?)'],
    ['x: error: age >= old', 18, 'expected a number of years after ">=", found "old"'],
    ['x: error: age >= "50"', 18, 'expected a number of years after ">=", found the string "50"'],
    ['x: error: age_bucket == "60-70"', 25, 'unknown age bucket "60-70" (did you mean "60-69"?)'],
    ['x: error: Male == 1', 16, '"Male" is a yes/no attribute: write Male or !Male, not a comparison'],
    ['x: error: Bald Bangs', 16, 'expected an operator (&, |, ->, <->) before "Bangs"'],
    ['x: error: Bald )', 16, 'unexpected ")" after the expression'],
    ['x: error: (Bald', 16, 'expected ")" to close the "(" at column 11, found end of line'],
    ['x: error: Bald = 1', 16, 'unexpected "=": use == to compare'],
    ['x: error: Bald $ 1', 16, 'unexpected character "$"'],
    ['x: error: race == "White', 19, 'unterminated string: add a closing "'],
    ['x: error: "Bald"', 11, 'expected an attribute, comparison or function, found the string "Bald"'],
  ];
  it.each(cases)('%s -> column %i: %s', (line, column, message) => {
    const { rules, errors } = parseRules(`# a comment\n${line}`, { file: 'my.rules' });
    expect(rules).toEqual([]);
    expect(errors).toHaveLength(1);
    const e = errors[0]!;
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('parse_error');
    expect(e.message).toBe(message);
    expect(e.where).toEqual({ file: 'my.rules', line: 2, column });
  });

  it('puts the suggestion in the hint too', () => {
    expect(parseRules('x: error: Smilling').errors[0]?.hint).toBe('did you mean "Smiling"?');
  });

  it('reports a duplicate id at its line, keeps the good lines and collects every bad line', () => {
    const { rules, errors } = parseRules('a: error: Bald\nb: error: Bangs\na: warning: Male\nc: error: Nope');
    expect(rules.map((r) => r.id)).toEqual(['a', 'b']);
    expect(errors.map((e) => [e.where?.line, e.where?.column, e.message])).toEqual([
      [3, 1, 'duplicate rule id "a" (first on line 1)'],
      [4, 11, 'unknown attribute "Nope"'],
    ]);
    expect(() => parseRulesOrThrow('a: error: Bald\nb: error: Nope')).toThrow('unknown attribute "Nope"');
  });

  it('rejects a rationale and line breaks in a lone expression', () => {
    expect(() => parseExpression('Bald # why')).toThrow('a lone expression has no "#" rationale');
    expect(() => parseExpression('Bald\n& Bangs')).toThrow('an expression fits on one line');
  });
});

describe('printing', () => {
  it('prints the default rules back to text that parses to the same rules', () => {
    const rules = parseRulesOrThrow(defaultRules);
    const again = parseRulesOrThrow(printRules(rules));
    expect(again.map(({ line: _line, ...r }) => r)).toEqual(rules.map(({ line: _line, ...r }) => r));
  });

  it('adds only the parentheses the structure needs', () => {
    expect(printExpr(parseExpression('((Bald) -> (!(Bangs)))'))).toBe('Bald -> !Bangs');
    expect(printExpr(parseExpression('(Bald -> Bangs) -> Male'))).toBe('(Bald -> Bangs) -> Male');
    expect(printExpr(parseExpression('Bald & (Bangs | Male)'))).toBe('Bald & (Bangs | Male)');
    expect(printExpr(parseExpression('!(Bald & Bangs)'))).toBe('!(Bald & Bangs)');
    expect(printExpr(parseExpression('race=="East Asian"&age_bucket>="70+"'))).toBe(
      'race == "East Asian" & age_bucket >= "70+"',
    );
    expect(printRule(parseRulesOrThrow('a-1:warning:Bald#  why ')[0]!)).toBe('a-1: warning: Bald  # why');
  });

  it('round-trips random trees: parse(print(e)) equals e', () => {
    fc.assert(
      fc.property(exprArb(CELEBA_ATTRIBUTES), (e: Expr) => {
        expect(parseExpression(printExpr(e))).toEqual(e);
      }),
      { numRuns: 500 },
    );
  });
});

describe('garbage', () => {
  const parseOnly = (text: string) => {
    try {
      parseExpression(text);
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('parse_error');
      expect((e as AppError).where?.column).toBeGreaterThanOrEqual(1);
    }
    const { errors } = parseRules(text);
    for (const e of errors) {
      expect(e.code).toBe('parse_error');
      expect(e.where?.line).toBeGreaterThanOrEqual(1);
    }
  };

  it('never throws anything but a parse error on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), parseOnly), { numRuns: 2000 });
  });

  it('never throws anything but a parse error on random rule-like token soup', () => {
    const token = fc.constantFrom(
      ...[
        'Bald',
        'gender',
        'age',
        'age_bucket',
        'race',
        'area',
        'atmost1',
        'exactly1',
        'eye_g',
        'Male',
        '"60-69"',
      ],
      ...[
        '(',
        ')',
        ',',
        '!',
        '&',
        '|',
        '->',
        '<->',
        '==',
        '<',
        '>=',
        '0.5',
        '50',
        '#',
        ':',
        'error',
        'x',
        '"',
        ' ',
      ],
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 20 }), (toks) => parseOnly(`r: error: ${toks.join(' ')}`)),
      { numRuns: 2000 },
    );
  });
});
