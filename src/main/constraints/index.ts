// Runs the rule engine against stored faces: rules from the DB, facts from labels / predictions / masks.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';
import {
  RuleSet,
  effectiveLabels,
  parseRules,
  predictionFacts,
  printRule,
  type LabelRow,
  type FaceInput,
  type Rule,
  type ThresholdOptions,
  type Violation,
} from '../../shared/rules';
import { CELEBA_ATTRIBUTES, isCelebaAttribute, type LabelValue } from '../../shared/taxonomy';
import type { RuleRow, Store } from '../store/index';

/** Stored label text → typed value: CelebA and age are numbers, the rest taxonomy names. */
export function labelFromText(key: string, text: string): LabelValue | null {
  if (isCelebaAttribute(key) || key === 'age') {
    const n = Number(text);
    return Number.isFinite(n) ? (n as LabelValue) : null;
  }
  return text as LabelValue;
}

export function labelToText(value: LabelValue): string {
  return String(value);
}

export function defaultRulesPath(resources: string): string {
  return join(resources, 'rules', 'default.rules');
}

/** Rows for the rules table from a rules file's text; throws its first parse error with line and column. */
export function rulesFromText(text: string, file?: string): Omit<RuleRow, 'id'>[] {
  const { rules, errors } = parseRules(text, { file });
  if (errors[0]) throw errors[0];
  return rules.map((r) => ({ key: r.id, severity: r.severity, text: printRule(r), enabled: true }));
}

/** Seeds the rules table from the default file the first time a database is opened. */
export function seedRules(store: Store, resources: string): void {
  if (!store.rules.isEmpty()) return;
  const file = defaultRulesPath(resources);
  const rows = rulesFromText(readFileSync(file, 'utf8'), file);
  store.write(() => {
    if (store.rules.isEmpty()) store.rules.replaceAll(rows);
  });
}

/** The rule file as stored: one rule per line, disabled ones commented out with `#off `. */
export function rulesFileText(rows: readonly RuleRow[]): string {
  return rows.map((r) => (r.enabled ? r.text : `#off ${r.text}`)).join('\n') + '\n';
}

/** Parses a rules file that may contain `#off` lines (disabled rules); never throws. */
export function parseRulesFile(
  text: string,
  file?: string,
): { rows: Omit<RuleRow, 'id'>[]; rules: Rule[]; errors: AppError[] } {
  const disabled = new Set<number>();
  const lines = text.split(/\r?\n/).map((line, i) => {
    const m = /^(\s*)#off\s+(.*)$/.exec(line);
    if (!m) return line;
    disabled.add(i + 1);
    // Keep columns right in error messages: the rule starts where `#off ` ended.
    return ' '.repeat(line.length - (m[2] as string).length) + (m[2] as string);
  });
  const { rules, errors } = parseRules(lines.join('\n'), { file });
  const rows = rules.map((r) => ({
    key: r.id,
    severity: r.severity,
    text: printRule(r),
    enabled: !disabled.has(r.line),
  }));
  return { rows, rules, errors };
}

/** Rows for the rules table from a rules file; throws its first parse error (file, line, column). */
export function rowsFromRulesFile(text: string, file?: string): Omit<RuleRow, 'id'>[] {
  const { rows, rules, errors } = parseRulesFile(text, file);
  if (errors[0]) throw errors[0];
  for (const rule of rules) assertEvaluates(rule, file);
  return rows;
}

/** Never store a rule the engine cannot run: compile it and evaluate it once over a fully labelled face. */
function assertEvaluates(rule: Rule, file: string | undefined): void {
  try {
    const values = Object.fromEntries(CELEBA_ATTRIBUTES.map((a) => [a, 1]));
    new RuleSet([rule]).evaluateFace({ labels: { values }, predictions: { values } });
  } catch (err) {
    const where = file === undefined ? { line: rule.line } : { file, line: rule.line };
    throw new AppError('parse_error', `rule "${rule.id}" cannot be evaluated: ${(err as Error).message}`, {
      where,
    });
  }
}

export function rulesHash(rows: readonly RuleRow[]): string {
  const enabled = rows.filter((r) => r.enabled).map((r) => r.text);
  return createHash('sha256').update(enabled.join('\n')).digest('hex');
}

export interface StoredViolationDetail {
  explanation: string;
  rationale: string | null;
  values: Violation['values'];
  fixes: Violation['fixes'];
}

/** One compiled rule set per rules-table content, plus the DB ids of its rules. */
export class ConstraintEngine {
  #store: Store;
  #cacheKey = '';
  #set: RuleSet = new RuleSet([]);
  #ids = new Map<string, number>();
  #rules = new Map<string, Rule>();
  thresholds: ThresholdOptions = {};

  constructor(store: Store) {
    this.#store = store;
  }

  /** The compiled enabled rules, recompiled only when the rules table changed. */
  ruleSet(): RuleSet {
    const rows = this.#store.rules.list();
    const key = rows.map((r) => `${r.id}\u0000${r.enabled}\u0000${r.text}`).join('\u0001');
    if (key === this.#cacheKey) return this.#set;
    const enabled = rows.filter((r) => r.enabled);
    // A rule stored by an older version may break today's limits: it is left out (the rule editor shows its
    // error) rather than failing every evaluation of every face.
    const { rules } = parseRules(enabled.map((r) => r.text).join('\n'));
    this.#set = new RuleSet(rules);
    this.#ids = new Map(enabled.map((r) => [r.key, r.id]));
    this.#rules = new Map(rules.map((r) => [r.id, r]));
    this.#cacheKey = key;
    return this.#set;
  }

  /** What the store knows about one face: effective labels, thresholded predictions, the best mask's areas. */
  facts(faceId: number): FaceInput {
    const rows: LabelRow[] = this.#store.labels
      .forFace(faceId)
      .map((l) => ({ key: l.key, source: l.source, value: labelFromText(l.key, l.value) }));
    const predictions = this.#store.faces.predictions(faceId);
    return {
      labels: rows.length > 0 ? effectiveLabels(rows) : null,
      predictions: predictions.length > 0 ? predictionFacts(predictions, this.thresholds) : null,
      areas: this.#store.faces.bestAreas(faceId),
    };
  }

  /** Evaluates one face from what the store holds. */
  evaluate(faceId: number, opts: { fixes?: boolean } = {}): Violation[] {
    return this.ruleSet().evaluateFace(this.facts(faceId), { fixes: opts.fixes ?? true });
  }

  /** Faces each rule of `set` would flag in a dataset (for the rule editor), or null past `maxFaces`. */
  flagged(set: RuleSet, datasetId: number, maxFaces = 20_000): Map<string, number> | null {
    const ids = this.#store.faces.idsOfDataset(datasetId);
    if (ids.length > maxFaces) return null;
    const counts = new Map<string, number>();
    for (const id of ids) {
      const hit = new Set(set.evaluateFace(this.facts(id), { fixes: false }).map((v) => v.ruleId));
      for (const r of hit) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * After an annotation import: replaces every face's `labels` violations from its effective labels
   * (prediction and cross ones belong to the analysis pass). Reads the dataset's labels in one pass, then writes
   * in one transaction (SQLite cannot write while a read is open).
   */
  refreshLabelViolations(datasetId: number): { faces: number; violations: number; rules: number } {
    const set = this.ruleSet();
    if (set.rules.length === 0) return { faces: 0, violations: 0, rules: 0 };
    const results: { faceId: number; found: { ruleId: number; detail: unknown }[] }[] = [];
    for (const { faceId, labels } of this.#store.annotations.labelsByFace(datasetId)) {
      const rows: LabelRow[] = (JSON.parse(labels) as [string, 'human' | 'import', string][]).map(
        ([key, source, value]) => ({ key, source, value: labelFromText(key, value) }),
      );
      if (rows.length === 0) continue;
      const found = set
        .evaluateFace({ labels: effectiveLabels(rows) }, { fixes: false })
        .filter((v) => v.subject === 'labels')
        .map((v) => ({
          ruleId: this.#ids.get(v.ruleId) as number,
          detail: { values: v.values, explanation: v.explanation },
        }));
      // Faces without violations still get their old label violations cleared.
      results.push({ faceId, found });
    }
    let violations = 0;
    this.#store.write(() => {
      for (const r of results) {
        this.#store.annotations.replaceLabelViolations(r.faceId, r.found);
        violations += r.found.length;
      }
    });
    return { faces: results.length, violations, rules: set.rules.length };
  }

  /** Re-evaluates one face and replaces its stored violations; call inside the edit's store.write(). */
  refreshFace(faceId: number): Violation[] {
    const violations = this.evaluate(faceId);
    this.#store.rules.replaceFaceViolations(
      faceId,
      violations.map((v) => ({
        ruleId: this.#ids.get(v.ruleId) as number,
        subject: v.subject,
        detail: {
          explanation: v.explanation,
          rationale: this.#rules.get(v.ruleId)?.rationale ?? null,
          values: v.values,
          fixes: v.fixes,
        } satisfies StoredViolationDetail,
      })),
    );
    return violations;
  }
}

const engines = new WeakMap<Store, ConstraintEngine>();
/** One engine per open store, so its compiled rule set is shared by every job item of the process. */
export function engineFor(store: Store): ConstraintEngine {
  let e = engines.get(store);
  if (!e) engines.set(store, (e = new ConstraintEngine(store)));
  return e;
}
