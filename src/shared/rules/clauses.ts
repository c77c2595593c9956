// Turns `error` rules over CelebA attributes into clauses whose violation mass is the constraint loss L_c.
import type { Expr, Rule } from './ast';

/** `key` is present (pos) or absent (!pos). */
export interface Literal {
  key: string;
  pos: boolean;
}
/** A disjunction of literals; violated when every literal is false. */
export type Clause = Literal[];

export interface RuleClauses {
  ruleId: string;
  clauses: Clause[];
}
export interface SkippedRule {
  ruleId: string;
  reason: string;
}

/** More clauses than this from one rule means a blow-up in the CNF product; such a rule is skipped. */
const MAX_CLAUSES = 64;

class Unsupported extends Error {}

const union = (a: Clause[], b: Clause[]): Clause[] => [...a, ...b];
function product(a: Clause[], b: Clause[]): Clause[] {
  const out: Clause[] = [];
  for (const x of a) for (const y of b) out.push([...x, ...y]);
  if (out.length > MAX_CLAUSES) throw new Unsupported(`more than ${MAX_CLAUSES} clauses in CNF`);
  return out;
}

/** The literal an argument of atmost1 / exactly1 stands for (only `A` or `!A`). */
function literalOf(e: Expr, neg: boolean): Literal {
  if (e.kind === 'attr') return { key: e.name, pos: !neg };
  if (e.kind === 'not') return literalOf(e.arg, !neg);
  throw new Unsupported('atmost1 / exactly1 over something other than attributes');
}

/** CNF of `e` (or of `!e` when `neg`), over attribute literals only. */
function cnf(e: Expr, neg: boolean): Clause[] {
  switch (e.kind) {
    case 'attr':
      return [[{ key: e.name, pos: !neg }]];
    case 'not':
      return cnf(e.arg, !neg);
    case 'and':
      return neg
        ? product(cnf(e.left, true), cnf(e.right, true))
        : union(cnf(e.left, false), cnf(e.right, false));
    case 'or':
      return neg
        ? union(cnf(e.left, true), cnf(e.right, true))
        : product(cnf(e.left, false), cnf(e.right, false));
    case 'implies':
      return neg
        ? union(cnf(e.left, false), cnf(e.right, true))
        : product(cnf(e.left, true), cnf(e.right, false));
    case 'iff':
      return neg
        ? product(
            union(cnf(e.left, false), cnf(e.right, false)),
            union(cnf(e.left, true), cnf(e.right, true)),
          )
        : union(
            product(cnf(e.left, true), cnf(e.right, false)),
            product(cnf(e.left, false), cnf(e.right, true)),
          );
    case 'count': {
      if (neg) throw new Unsupported(`a negated ${e.fn}`);
      const lits = e.args.map((a) => literalOf(a, false));
      const out: Clause[] = [];
      for (let i = 0; i < lits.length; i++)
        for (let j = i + 1; j < lits.length; j++)
          out.push([
            { key: lits[i]!.key, pos: !lits[i]!.pos },
            { key: lits[j]!.key, pos: !lits[j]!.pos },
          ]);
      if (e.fn === 'exactly1') out.push(lits);
      return out;
    }
    case 'cmp':
      throw new Unsupported(`reads the field "${e.field}", which the heads do not predict`);
    case 'area':
      throw new Unsupported(`reads the parsing map area of "${e.cls}"`);
  }
}

/** Drops repeated literals; null for a tautology (x | !x), which can never be violated. */
function tidy(c: Clause): Clause | null {
  const seen = new Map<string, boolean>();
  for (const l of c) {
    const had = seen.get(l.key);
    if (had === undefined) seen.set(l.key, l.pos);
    else if (had !== l.pos) return null;
  }
  return [...seen].map(([key, pos]) => ({ key, pos }));
}

/**
 * Clauses of every `error` rule that is a propositional formula over the given attribute keys
 * (A -> !B, atmost1, exactly1, <->, & / | mixes). Skipped, with the reason: warnings (expectations, not
 * relations), rules that read fields (gender, age, expression, race) or mask areas, negated counts, and
 * rules over attributes the heads do not cover.
 */
export function clausesFromRules(
  rules: readonly Rule[],
  keys: readonly string[],
): { used: RuleClauses[]; skipped: SkippedRule[] } {
  const known = new Set(keys);
  const used: RuleClauses[] = [];
  const skipped: SkippedRule[] = [];
  for (const r of rules) {
    if (r.severity !== 'error') {
      skipped.push({ ruleId: r.id, reason: 'warning rules are expectations, not constraints' });
      continue;
    }
    let clauses: Clause[];
    try {
      clauses = cnf(r.expr, false)
        .map(tidy)
        .filter((c): c is Clause => c !== null);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      skipped.push({ ruleId: r.id, reason: err.message });
      continue;
    }
    const missing = [...new Set(clauses.flat().map((l) => l.key))].filter((k) => !known.has(k));
    if (missing.length > 0) {
      skipped.push({ ruleId: r.id, reason: `no head for ${missing.join(', ')}` });
      continue;
    }
    if (clauses.length > 0) used.push({ ruleId: r.id, clauses });
  }
  return { used, skipped };
}

/** Clauses as head indices: `idx[l]` and `pos[l]` per literal, `start[c]..start[c+1]` per clause. */
export interface PackedClauses {
  start: Int32Array;
  idx: Int32Array;
  pos: Uint8Array;
  count: number;
}

export function packClauses(clauses: readonly Clause[], keys: readonly string[]): PackedClauses {
  const at = new Map(keys.map((k, i) => [k, i]));
  const start = new Int32Array(clauses.length + 1);
  const lits = clauses.flat();
  const idx = new Int32Array(lits.length);
  const pos = new Uint8Array(lits.length);
  let n = 0;
  clauses.forEach((c, i) => {
    start[i] = n;
    for (const l of c) {
      idx[n] = at.get(l.key) ?? -1;
      pos[n] = l.pos ? 1 : 0;
      n++;
    }
  });
  start[clauses.length] = n;
  if (idx.includes(-1)) throw new Error('clause over a key the heads do not cover');
  return { start, idx, pos, count: clauses.length };
}

/** True when the hard predictions of one face (p ≥ 0.5 is present) break any clause. */
export function violatesAny(p: ArrayLike<number>, offset: number, c: PackedClauses): boolean {
  for (let k = 0; k < c.count; k++) {
    let broken = true;
    for (let l = c.start[k]!; l < c.start[k + 1]!; l++) {
      const present = p[offset + c.idx[l]!]! >= 0.5;
      if (present === (c.pos[l] === 1)) {
        broken = false;
        break;
      }
    }
    if (broken) return true;
  }
  return false;
}
