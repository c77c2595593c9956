// Prints rules and expressions back to rule-language text that parses to the same tree.
import type { Expr, Rule } from './ast';

const PREC: Record<string, number> = { iff: 1, implies: 2, or: 3, and: 4, not: 5 };
const SYMBOL: Record<string, string> = { iff: '<->', implies: '->', or: '|', and: '&' };
const BARE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function prec(e: Expr): number {
  return PREC[e.kind] ?? 6;
}

function value(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return BARE.test(v) ? v : `"${v}"`;
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'attr':
      return e.name;
    case 'cmp':
      return `${e.field} ${e.op} ${value(e.value)}`;
    case 'area':
      return `area(${e.cls}) ${e.op} ${value(e.value)}`;
    case 'count':
      return `${e.fn}(${e.args.map(printExpr).join(', ')})`;
    case 'not':
      return prec(e.arg) < PREC.not! ? `!(${printExpr(e.arg)})` : `!${printExpr(e.arg)}`;
    default: {
      const p = PREC[e.kind]!;
      // `->` groups to the right, the others to the left: the other side needs parentheses at equal precedence.
      const rightAssoc = e.kind === 'implies';
      const wrap = (x: Expr, paren: boolean) => (paren ? `(${printExpr(x)})` : printExpr(x));
      const l = wrap(e.left, prec(e.left) < p || (rightAssoc && prec(e.left) === p));
      const r = wrap(e.right, prec(e.right) < p || (!rightAssoc && prec(e.right) === p));
      return `${l} ${SYMBOL[e.kind]} ${r}`;
    }
  }
}

export function printRule(rule: Rule): string {
  const head = `${rule.id}: ${rule.severity}: ${printExpr(rule.expr)}`;
  return rule.rationale ? `${head}  # ${rule.rationale}` : head;
}

/** A whole rules file, one rule per line. */
export function printRules(rules: readonly Rule[]): string {
  return rules.map(printRule).join('\n') + '\n';
}
