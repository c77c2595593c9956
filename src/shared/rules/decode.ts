// Consistent decoding: the most probable labelling that breaks no `error` rule, exact per connected group.
import { AppError } from '../errors';
import { checkLabelValue, isCelebaAttribute, isLabelKey, type LabelValue } from '../taxonomy';
import { F, SLOT_COUNT, encodeFacts, type FaceFacts } from './compile';
import type { CompiledRule, RuleSet } from './evaluate';

/** P(+1) for a CelebA attribute, or a distribution over values for a categorical key (gender, expression...). */
export type Distribution = number | Readonly<Record<string, number>>;

export interface DecodeInput {
  probs: Readonly<Record<string, Distribution>>;
  /** Values held fixed while decoding (e.g. a labelled age); decoded keys in here are ignored. */
  facts?: FaceFacts;
}

export interface DecodeGroup {
  keys: string[];
  /** `enumerate` (all states, ≤ enumerateUpTo), `branch-and-bound` (exact, larger groups), `independent`. */
  method: 'independent' | 'enumerate' | 'branch-and-bound';
  /** States visited (enumerate) or search nodes expanded (branch-and-bound). */
  visited: number;
}

export interface DecodeResult {
  values: Record<string, LabelValue>;
  /** Sum of log P(chosen value) over the decoded keys. */
  logProb: number;
  groups: DecodeGroup[];
}

export interface DecodeOptions {
  /** Groups with at most this many joint states are enumerated (default 2^16). */
  enumerateUpTo?: number;
  /** Branch-and-bound gives up with an AppError after this many nodes (default 2,000,000). */
  nodeBudget?: number;
}

interface Var {
  key: string;
  domain: LabelValue[];
  logp: number[];
  best: number;
}

function toVar(key: string, d: Distribution): Var {
  let entries: [LabelValue, number][];
  if (typeof d === 'number') {
    if (!isCelebaAttribute(key)) {
      throw new AppError('invalid_request', `"${key}" needs a distribution over its values, not one number`, {
        where: { field: `probs.${key}` },
      });
    }
    entries = [
      [1, d],
      [-1, 1 - d],
    ];
  } else {
    entries = Object.entries(d).map(([v, p]) => [(isCelebaAttribute(key) ? Number(v) : v) as LabelValue, p]);
  }
  const badValue = entries.find(([v]) => !isLabelKey(key) || checkLabelValue(key, v) !== null);
  if (badValue) {
    throw new AppError('invalid_request', `"${String(badValue[0])}" is not a value of "${key}"`, {
      where: { field: `probs.${key}` },
    });
  }
  if (key === 'age' || entries.length === 0 || entries.some(([, p]) => !(p >= 0 && p <= 1))) {
    throw new AppError(
      'invalid_request',
      `"${key}": expected probabilities from 0 to 1 over a finite set of values`,
      {
        where: { field: `probs.${key}` },
      },
    );
  }
  const logp = entries.map(([, p]) => Math.log(p));
  let best = 0;
  logp.forEach((l, i) => {
    if (l > logp[best]!) best = i;
  });
  return { key, domain: entries.map(([v]) => v), logp, best };
}

/**
 * Splits the decoded keys into groups connected by `error` rules; keys in no rule take their argmax. Each
 * group is solved exactly: by enumeration up to `enumerateUpTo` joint states, else by depth-first
 * branch-and-bound (a partial assignment is pruned when a rule is already false under three-valued logic —
 * unset values are unknown, and Kleene logic never turns false into true as values get set — or when its
 * log-probability plus every unset key's best cannot beat the incumbent). A group with no valid assignment is
 * a `conflict`; a search past `nodeBudget` nodes is refused with `invalid_request`.
 */
export function decodeConsistent(
  rules: RuleSet,
  input: DecodeInput,
  options: DecodeOptions = {},
): DecodeResult {
  const enumerateUpTo = options.enumerateUpTo ?? 1 << 16;
  const nodeBudget = options.nodeBudget ?? 2_000_000;
  const vars = Object.entries(input.probs).map(([k, d]) => toVar(k, d));
  const index = new Map(vars.map((v, i) => [v.key, i]));
  const base: Record<string, LabelValue> = {};
  const fixed = input.facts?.values ?? {};
  for (const k in fixed) if (fixed[k] !== undefined && !index.has(k)) base[k] = fixed[k];
  const areas = input.facts?.areas ?? null;

  // Union-find over decoded keys joined by error rules.
  const parent = vars.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const constraining: { rule: CompiledRule; vars: number[] }[] = [];
  for (const cr of rules.rules) {
    if (cr.rule.severity !== 'error') continue;
    const vs = cr.keys.flatMap((k) => {
      // age_bucket decoded stands in for age in rules that only read age, and vice versa.
      const i = index.get(k) ?? (k === 'age' ? index.get('age_bucket') : undefined);
      return i === undefined ? [] : [i];
    });
    if (vs.length === 0) continue;
    constraining.push({ rule: cr, vars: vs });
    for (const i of vs.slice(1)) parent[find(i)] = find(vs[0]!);
  }
  const members = new Map<number, number[]>();
  vars.forEach((_, i) => {
    const r = find(i);
    members.set(r, [...(members.get(r) ?? []), i]);
  });

  const values: Record<string, LabelValue> = {};
  const groups: DecodeGroup[] = [];
  let logProb = 0;
  const buf = new Float64Array(SLOT_COUNT);
  for (const [root, idx] of members) {
    const groupRules = constraining.filter((c) => find(c.vars[0]!) === root).map((c) => c.rule);
    const gv = idx.map((i) => vars[i]!);
    if (groupRules.length === 0) {
      for (const v of gv) {
        values[v.key] = v.domain[v.best]!;
        logProb += v.logp[v.best]!;
      }
      groups.push({ keys: gv.map((v) => v.key), method: 'independent', visited: 0 });
      continue;
    }
    const trial: Record<string, LabelValue> = { ...base };
    const ok = (): boolean => {
      const s = encodeFacts({ values: trial, areas }, buf);
      for (const r of groupRules) if (r.test(s) === F) return false;
      return true;
    };
    const states = gv.reduce((p, v) => p * v.domain.length, 1);
    const choice = new Int32Array(gv.length);
    let bestChoice: Int32Array | null = null;
    let bestLp = -Infinity;
    let visited = 0;
    const method: DecodeGroup['method'] = states <= enumerateUpTo ? 'enumerate' : 'branch-and-bound';
    if (method === 'enumerate') {
      for (let s = 0; s < states; s++) {
        let rest = s;
        let lp = 0;
        for (let j = 0; j < gv.length; j++) {
          const v = gv[j]!;
          const c = rest % v.domain.length;
          rest = Math.floor(rest / v.domain.length);
          choice[j] = c;
          trial[v.key] = v.domain[c]!;
          lp += v.logp[c]!;
        }
        visited++;
        if ((bestChoice === null || lp > bestLp) && ok()) {
          bestChoice = choice.slice();
          bestLp = lp;
        }
      }
    } else {
      // Most confident keys first: their best value is most likely final, so the bound tightens early.
      const order = gv.map((_, j) => j);
      const margin = (v: Var) =>
        v.logp[v.best]! - Math.max(...v.logp.filter((_, c) => c !== v.best), -Infinity);
      order.sort((a, b) => margin(gv[b]!) - margin(gv[a]!));
      const restBest = new Float64Array(order.length + 1);
      for (let d = order.length - 1; d >= 0; d--) {
        const v = gv[order[d]!]!;
        restBest[d] = restBest[d + 1]! + v.logp[v.best]!;
      }
      const dfs = (d: number, lp: number): void => {
        if (++visited > nodeBudget) {
          throw new AppError(
            'invalid_request',
            `consistent decoding gave up on a group of ${gv.length} attributes after ${nodeBudget} search nodes`,
            { hint: 'split the rules into smaller groups or decode fewer attributes at once' },
          );
        }
        if (bestChoice !== null && lp + restBest[d]! <= bestLp) return;
        if (!ok()) return;
        if (d === order.length) {
          bestChoice = choice.slice();
          bestLp = lp;
          return;
        }
        const j = order[d]!;
        const v = gv[j]!;
        const tries = v.domain.map((_, c) => c).sort((a, b) => v.logp[b]! - v.logp[a]!);
        for (const c of tries) {
          choice[j] = c;
          trial[v.key] = v.domain[c]!;
          dfs(d + 1, lp + v.logp[c]!);
        }
        delete trial[v.key];
      };
      dfs(0, 0);
    }
    if (bestChoice === null) {
      throw new AppError(
        'conflict',
        `no labelling of ${gv.map((v) => v.key).join(', ')} satisfies the error rules ${groupRules.map((r) => r.rule.id).join(', ')}`,
      );
    }
    const chosen: Int32Array = bestChoice;
    gv.forEach((v, j) => {
      values[v.key] = v.domain[chosen[j]!]!;
    });
    logProb += bestLp;
    groups.push({ keys: gv.map((v) => v.key), method, visited });
  }
  return { values, logProb, groups };
}
