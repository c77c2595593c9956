// Rule-language syntax tree (position-free, so printing and re-parsing gives an equal tree).
import type { AgeBucket, CelebaAttribute, Expression, Gender, ParsingClass, Race } from '../taxonomy';

export type Severity = 'error' | 'warning';
export const SEVERITIES = ['error', 'warning'] as const satisfies readonly Severity[];

export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export const CMP_OPS = ['==', '!=', '<', '<=', '>', '>='] as const satisfies readonly CmpOp[];

/** A comparison on a non-binary field; values are canonical (`age_bucket` `more than 70` is stored as `70+`). */
export type Comparison =
  | { kind: 'cmp'; field: 'gender'; op: '==' | '!='; value: Gender }
  | { kind: 'cmp'; field: 'race'; op: '==' | '!='; value: Race }
  | { kind: 'cmp'; field: 'expression'; op: '==' | '!='; value: Expression }
  | { kind: 'cmp'; field: 'age'; op: CmpOp; value: number }
  | { kind: 'cmp'; field: 'age_bucket'; op: CmpOp; value: AgeBucket };

export type Expr =
  | { kind: 'attr'; name: CelebaAttribute }
  | { kind: 'not'; arg: Expr }
  | { kind: 'and' | 'or' | 'implies' | 'iff'; left: Expr; right: Expr }
  | Comparison
  | { kind: 'area'; cls: ParsingClass; op: CmpOp; value: number }
  | { kind: 'count'; fn: 'atmost1' | 'exactly1'; args: Expr[] };

export type BinaryKind = 'and' | 'or' | 'implies' | 'iff';

export interface Rule {
  /** Lowercase letters, digits and `-`; unique in a rule set. */
  id: string;
  severity: Severity;
  expr: Expr;
  /** Text after `#`, trimmed; null when the line has none. */
  rationale: string | null;
  /** 1-based line in the source file (0 when built in code). */
  line: number;
}

/** Label keys and parsing classes an expression reads, each once, in first-use order. */
export function referencedNames(expr: Expr): { keys: string[]; classes: ParsingClass[] } {
  const keys: string[] = [];
  const classes: ParsingClass[] = [];
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'attr':
        if (!keys.includes(e.name)) keys.push(e.name);
        return;
      case 'cmp':
        if (!keys.includes(e.field)) keys.push(e.field);
        return;
      case 'area':
        if (!classes.includes(e.cls)) classes.push(e.cls);
        return;
      case 'not':
        walk(e.arg);
        return;
      case 'count':
        e.args.forEach(walk);
        return;
      default:
        walk(e.left);
        walk(e.right);
    }
  };
  walk(expr);
  return { keys, classes };
}
