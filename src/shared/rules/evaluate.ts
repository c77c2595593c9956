// Evaluates a compiled rule set over a face's labels, predictions and both combined; explains and suggests fixes.
import {
  AGE_BUCKETS,
  AGE_BUCKET_RANGES,
  EXPRESSIONS,
  FAIRFACE_RACES,
  GENDERS,
  MAX_AGE,
  UTK_RACES,
  isCelebaAttribute,
  type LabelValue,
  type ParsingClass,
} from '../taxonomy';
import { referencedNames, type Expr, type Rule, type Severity } from './ast';
import {
  F,
  SLOT_COUNT,
  compileExpr,
  encodeAreas,
  encodeFacts,
  mergeFacts,
  mergeSlots,
  type Compiled,
  type FaceFacts,
  type MaskAreas,
  type Truth,
} from './compile';
import { parseRulesOrThrow } from './parser';
import { printExpr } from './printer';

export type Subject = 'labels' | 'predictions' | 'cross';

export interface InvolvedValue {
  /** A label key, or `area(<class>)` for a mask area. */
  key: string;
  value: LabelValue;
  source: 'label' | 'prediction' | 'mask';
}

export interface FixChange {
  key: string;
  from: LabelValue;
  to: LabelValue;
}

/** Set these values (as human labels) and the rule is no longer violated. */
export interface Fix {
  changes: FixChange[];
  /** Sum of per-change costs: 1 per label; log-odds of the current value for a prediction with a confidence. */
  cost: number;
}

export interface Violation {
  ruleId: string;
  severity: Severity;
  subject: Subject;
  /** The known values the rule read, with where each came from. */
  values: InvolvedValue[];
  explanation: string;
  /** Set-minimal fixes, cheapest first. */
  fixes: Fix[];
}

export interface CompiledRule {
  rule: Rule;
  test: Compiled;
  keys: string[];
  classes: ParsingClass[];
}

export interface FaceInput {
  /** Effective labels (see effectiveLabels). */
  labels?: FaceFacts | null;
  /** Thresholded predictions (see predictionFacts). */
  predictions?: FaceFacts | null;
  /** The face's parsing map areas, or null when it has none. */
  areas?: MaskAreas | null;
}

export interface EvaluateOptions {
  /** Compute suggested fixes (default true; a bulk pass that only stores violations may skip them). */
  fixes?: boolean;
  /** At most this many fixes per violation (default 5). */
  maxFixes?: number;
  /** Largest number of values one fix may change (default 3). */
  maxChanges?: number;
}

type Source = InvolvedValue['source'];

export class RuleSet {
  readonly rules: readonly CompiledRule[];
  /** Rules reading a mask area: the only ones a mask alone can change. */
  private readonly areaRules: number[];
  private readonly lbuf = new Float64Array(SLOT_COUNT);
  private readonly pbuf = new Float64Array(SLOT_COUNT);
  private readonly mbuf = new Float64Array(SLOT_COUNT);

  constructor(rules: readonly Rule[]) {
    this.rules = rules.map((rule) => ({ rule, test: compileExpr(rule.expr), ...referencedNames(rule.expr) }));
    this.areaRules = this.rules.flatMap((r, i) => (r.classes.length > 0 ? [i] : []));
  }

  /** Parses rules text (throwing its first parse error) and compiles it. */
  static fromText(text: string, options: { file?: string } = {}): RuleSet {
    return new RuleSet(parseRulesOrThrow(text, options));
  }

  /** Truth of every rule (in order) over one set of facts; `out` may be reused across faces. */
  truths(facts: FaceFacts, out: Uint8Array = new Uint8Array(this.rules.length)): Uint8Array {
    const s = encodeFacts(facts, this.lbuf);
    for (let i = 0; i < this.rules.length; i++) out[i] = this.rules[i]!.test(s);
    return out;
  }

  /**
   * Violations over labels, over predictions, and `cross`: those that only labels and predictions and the mask
   * together show (labels win key by key). Listed labels first, then predictions, then cross, in rule order.
   */
  evaluateFace(input: FaceInput, options: EvaluateOptions = {}): Violation[] {
    const out: Violation[] = [];
    const rules = this.rules;
    const n = rules.length;
    const labels = input.labels ?? null;
    const preds = input.predictions ?? null;
    const areas = input.areas ?? null;
    const L = this.lbuf;
    const P = this.pbuf;
    const M = this.mbuf;
    encodeFacts(labels ?? NO_FACTS, L);
    encodeAreas(null, L);
    let lbad = 0;
    let pbad = 0;
    if (labels) {
      for (let i = 0; i < n; i++) {
        if (rules[i]!.test(L) === F) {
          lbad = 1;
          out.push(this.violation(rules[i]!, labels, 'labels', () => 'label', options));
        }
      }
    }
    if (preds) {
      encodeFacts({ values: preds.values }, P);
      for (let i = 0; i < n; i++) {
        if (rules[i]!.test(P) === F) {
          pbad = 1;
          out.push(this.violation(rules[i]!, preds, 'predictions', () => 'prediction', options));
        }
      }
    }
    if (!preds && !areas) return out;
    if (preds) mergeSlots(L, P, M);
    else M.set(L);
    encodeAreas(areas, M);
    let merged: FaceFacts | null = null;
    const check = (i: number) => {
      const r = rules[i]!;
      if (r.test(M) !== F) return;
      if ((lbad && r.test(L) === F) || (pbad && r.test(P) === F)) return;
      merged ??= mergeFacts(labels, preds, areas);
      const lv = labels?.values ?? {};
      const labelAge = lv.age !== undefined || lv.age_bucket !== undefined;
      const sourceOf = (key: string): Source =>
        key.startsWith('area(')
          ? 'mask'
          : lv[key] !== undefined || (labelAge && (key === 'age' || key === 'age_bucket'))
            ? 'label'
            : 'prediction';
      out.push(this.violation(r, merged, 'cross', sourceOf, options));
    };
    // Without predictions only the area rules can read anything the labels pass did not.
    if (preds) for (let i = 0; i < n; i++) check(i);
    else for (const i of this.areaRules) check(i);
    return out;
  }

  private violation(
    cr: CompiledRule,
    facts: FaceFacts,
    subject: Subject,
    sourceOf: (key: string) => Source,
    options: EvaluateOptions,
  ): Violation {
    const values = involved(cr, facts, sourceOf);
    return {
      ruleId: cr.rule.id,
      severity: cr.rule.severity,
      subject,
      values,
      explanation: explain(cr.rule, facts, values),
      fixes: options.fixes === false ? [] : suggestFixes(cr, facts, options),
    };
  }
}

const NO_FACTS: FaceFacts = { values: {} };

function definedOnly(v: FaceFacts['values'] | undefined): Record<string, LabelValue> {
  const out: Record<string, LabelValue> = {};
  if (v) for (const k in v) if (v[k] !== undefined) out[k] = v[k];
  return out;
}

function involved(cr: CompiledRule, facts: FaceFacts, sourceOf: (key: string) => Source): InvolvedValue[] {
  const out: InvolvedValue[] = [];
  const v = facts.values;
  for (const key of cr.keys) {
    const x = v[key];
    if (x !== undefined) out.push({ key, value: x, source: sourceOf(key) });
    else if (key === 'age_bucket' && typeof v.age === 'number') {
      out.push({ key: 'age', value: v.age, source: sourceOf('age') });
    } else if (key === 'age' && v.age_bucket !== undefined) {
      out.push({ key: 'age_bucket', value: v.age_bucket, source: sourceOf('age_bucket') });
    }
  }
  const a = facts.areas;
  for (const cls of cr.classes) {
    if (a && a.classes.includes(cls)) {
      const key = `area(${cls})`;
      out.push({ key, value: a.fraction[cls] ?? 0, source: sourceOf(key) });
    }
  }
  return out;
}

function fmt(v: InvolvedValue): string {
  const x = typeof v.value === 'number' && v.key.startsWith('area(') ? v.value.toFixed(4) : String(v.value);
  return `${v.key} = ${x}`;
}

/** One sentence naming what should hold and what the values are. */
export function explain(rule: Rule, facts: FaceFacts, values: readonly InvolvedValue[]): string {
  const s = encodeFacts(facts);
  const truth = (e: Expr): Truth => compileExpr(e)(s);
  const e = rule.expr;
  let what: string;
  switch (e.kind) {
    case 'implies':
      what = `because ${printExpr(e.left)} holds, ${printExpr(e.right)} should hold too, but it does not`;
      break;
    case 'iff': {
      const word = (x: Expr) => (truth(x) === 2 ? 'holds' : 'does not hold');
      what = `${printExpr(e.left)} ${word(e.left)} but ${printExpr(e.right)} ${word(e.right)}; they must agree`;
      break;
    }
    case 'count': {
      const on = e.args.filter((a) => truth(a) === 2).map(printExpr);
      const all = e.args.map(printExpr).join(', ');
      what =
        on.length >= 2
          ? `${e.fn === 'atmost1' ? 'at most' : 'exactly'} one of ${all} may hold, but ${on.join(' and ')} do`
          : `exactly one of ${all} must hold, but none does`;
      break;
    }
    case 'not':
      what = `${printExpr(e.arg)} holds, which the rule forbids`;
      break;
    default:
      what = `the rule requires ${printExpr(e)}, which does not hold`;
  }
  const known = values.length ? ` (${values.map(fmt).join(', ')})` : '';
  const why = rule.rationale ? `. Why: ${rule.rationale}` : '';
  return `${rule.id}: ${what}${known}${why}`;
}

/** Constants a rule compares each field with: fixes try values around them. */
function constants(expr: Expr): Map<string, (string | number)[]> {
  const m = new Map<string, (string | number)[]>();
  const walk = (e: Expr): void => {
    if (e.kind === 'cmp') m.set(e.field, [...(m.get(e.field) ?? []), e.value]);
    else if (e.kind === 'not') walk(e.arg);
    else if (e.kind === 'count') e.args.forEach(walk);
    else if (e.kind !== 'attr' && e.kind !== 'area') {
      walk(e.left);
      walk(e.right);
    }
  };
  walk(expr);
  return m;
}

function candidates(
  key: string,
  current: LabelValue,
  consts: Map<string, (string | number)[]>,
): LabelValue[] {
  if (isCelebaAttribute(key)) return [current === 1 ? -1 : 1];
  let pool: LabelValue[];
  switch (key) {
    case 'gender':
      pool = [...GENDERS];
      break;
    case 'expression':
      pool = [...EXPRESSIONS];
      break;
    case 'race':
      pool = current === 'Asian' || current === 'Others' ? [...UTK_RACES] : [...FAIRFACE_RACES];
      for (const c of consts.get('race') ?? [])
        if (!pool.includes(c as LabelValue)) pool.push(c as LabelValue);
      break;
    case 'age_bucket': {
      const at = AGE_BUCKETS.indexOf(current as (typeof AGE_BUCKETS)[number]);
      pool = [...AGE_BUCKETS].sort(
        (a, b) => Math.abs(AGE_BUCKETS.indexOf(a) - at) - Math.abs(AGE_BUCKETS.indexOf(b) - at),
      );
      break;
    }
    case 'age': {
      // Ages just either side of every threshold the rule uses, as whole years.
      const ys = new Set<number>();
      for (const c of consts.get('age') ?? []) {
        const n = c as number;
        for (const y of [Math.floor(n) - 1, Math.floor(n), Math.ceil(n), Math.ceil(n) + 1]) ys.add(y);
      }
      for (const b of consts.get('age_bucket') ?? []) {
        const [lo, hi] = AGE_BUCKET_RANGES[b as keyof typeof AGE_BUCKET_RANGES];
        for (const y of [lo - 1, lo, Math.min(hi, MAX_AGE), hi + 1]) ys.add(y);
      }
      const now = current as number;
      pool = [...ys]
        .filter((y) => Number.isFinite(y) && y >= 0 && y <= MAX_AGE)
        .sort((a, b) => Math.abs(a - now) - Math.abs(b - now) || a - b);
      break;
    }
    default:
      return [];
  }
  return pool.filter((x) => x !== current);
}

function changeCost(facts: FaceFacts, key: string): number {
  const c = facts.confidence?.[key];
  if (c === undefined) return 1;
  const p = Math.min(1 - 1e-6, Math.max(1e-6, c));
  // Log-odds of the current value: flipping a 0.55 prediction is cheap, a 0.99 one expensive.
  return Math.max(0, Math.log(p / (1 - p)));
}

/**
 * Set-minimal sets of single-value changes after which the rule is no longer violated (true, or unknown only
 * because of values nobody has set), trying up to `maxChanges` changes; cheapest first. Only known values
 * change: under Kleene logic, setting an unknown value cannot turn false into true. Mask areas are evidence,
 * not labels, so fixes change labels only.
 */
export function suggestFixes(cr: CompiledRule, facts: FaceFacts, options: EvaluateOptions = {}): Fix[] {
  const maxChanges = options.maxChanges ?? 3;
  const maxFixes = options.maxFixes ?? 5;
  const v = facts.values;
  const vars: string[] = [];
  for (const key of cr.keys) {
    const k =
      v[key] !== undefined
        ? key
        : key === 'age_bucket' && v.age !== undefined
          ? 'age'
          : key === 'age' && v.age_bucket !== undefined
            ? 'age_bucket'
            : null;
    if (k && !vars.includes(k)) vars.push(k);
  }
  const consts = constants(cr.rule.expr);
  const cands = vars.map((k) => candidates(k, v[k]!, consts));
  const costs = vars.map((k) => changeCost(facts, k));
  const buf = new Float64Array(SLOT_COUNT);
  const found: { idx: number[]; fix: Fix }[] = [];
  const trial: Record<string, LabelValue> = { ...definedOnly(v) };
  const test = (): boolean => cr.test(encodeFacts({ values: trial, areas: facts.areas ?? null }, buf)) !== F;

  const combos = (size: number, start: number, acc: number[], visit: (idx: number[]) => void): void => {
    if (acc.length === size) return visit(acc);
    for (let i = start; i < vars.length; i++) combos(size, i + 1, [...acc, i], visit);
  };
  // Product search over the chosen variables' candidates, capped so a wide rule cannot stall the UI.
  let budget = 20_000;
  for (let size = 1; size <= Math.min(maxChanges, vars.length); size++) {
    combos(size, 0, [], (idx) => {
      if (found.some((f) => f.idx.every((i) => idx.includes(i)))) return;
      const pick = (d: number, changes: FixChange[]): boolean => {
        if (budget-- <= 0) return false;
        if (d === idx.length) {
          if (!test()) return false;
          const cost = idx.reduce((s, i) => s + costs[i]!, 0);
          found.push({ idx: [...idx], fix: { changes: [...changes], cost } });
          return true;
        }
        const i = idx[d]!;
        const key = vars[i]!;
        const from = v[key]!;
        for (const to of cands[i]!) {
          trial[key] = to;
          // One fix per key set: the first satisfying values (ages and buckets are tried nearest first).
          const ok = pick(d + 1, [...changes, { key, from, to }]);
          trial[key] = from;
          if (ok) return true;
        }
        return false;
      };
      pick(0, []);
    });
  }
  return found
    .map((f) => f.fix)
    .sort((a, b) => a.cost - b.cost || a.changes.length - b.changes.length)
    .slice(0, maxFixes);
}
