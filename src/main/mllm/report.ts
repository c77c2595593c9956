// The MLLM audit report (issue #31): per model and key, agreement with the verified labels, the unparsed rate
// and latency, confusion matrices, and logical consistency: how many faces' answers break an `error` rule.
import type { MllmKeyMetrics, MllmModelReport, MllmReport } from '../../shared/api';
import { F, type RuleSet } from '../../shared/rules';
import {
  AGE_BUCKETS,
  CELEBA_ATTRIBUTES,
  EXPRESSIONS,
  FAIRFACE_RACES,
  GENDERS,
  UTK_RACES,
  ageToBucket,
  isFairFaceRace,
  isUtkRace,
  type LabelValue,
} from '../../shared/taxonomy';
import { labelFromText } from '../constraints/index';
import { agreement } from '../service/stats';
import type { MllmAuditRow } from '../store/index';

/** The value an answer is compared on: age by bucket (a label may be a bucket or years), the rest as is. */
function compared(key: string, value: string | null): string | null {
  if (value === null || key !== 'age') return value;
  const n = Number(value);
  return Number.isFinite(n) ? ageToBucket(n) : null;
}

/** The verified label of a row in the answer's terms, or null (face not reviewed, or key not labelled). */
export function verified(r: MllmAuditRow): string | null {
  if (r.key === 'age') return r.label !== null ? compared('age', r.label) : r.bucket;
  return r.label;
}

/** Faces where a parsed answer differs from the verified label (the report's click-through). */
export function wrongFaceIds(rows: readonly MllmAuditRow[], model: string, key: string): number[] {
  return rows
    .filter((r) => r.model === model && r.key === key && r.status === 'ok')
    .filter((r) => {
      const l = verified(r);
      return l !== null && compared(key, r.value) !== l;
    })
    .map((r) => r.faceId);
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function keyMetrics(key: string, rows: readonly MllmAuditRow[]): MllmKeyMetrics {
  const labelled = rows.filter((r) => verified(r) !== null);
  const parsed = labelled.filter((r) => r.status === 'ok');
  const unparsed = labelled.filter((r) => r.status === 'unparsed').length;
  const pairs = parsed.map((r) => [verified(r)!, compared(key, r.value)!] as [string, string]);
  const a = agreement(key, pairs, {});
  const asked = parsed.length + unparsed;
  return {
    key,
    n: labelled.length,
    parsed: parsed.length,
    unparsed,
    errors: labelled.filter((r) => r.status === 'error').length,
    accuracy: a.accuracy,
    balancedAccuracy: a.balancedAccuracy,
    f1: a.f1,
    unparsedRate: asked === 0 ? null : unparsed / asked,
  };
}

function classesOf(key: string, rows: readonly MllmAuditRow[]): readonly string[] | null {
  if (key === 'gender') return GENDERS;
  if (key === 'expression') return EXPRESSIONS;
  if (key === 'age') return AGE_BUCKETS;
  if (key === 'race') {
    const values = rows.flatMap((r) => [r.label, r.value]).filter((v): v is string => v !== null);
    return values.some((v) => isFairFaceRace(v) && !isUtkRace(v)) ? FAIRFACE_RACES : UTK_RACES;
  }
  return null;
}

/** Faces whose answers (alone, as facts) make an enabled `error` rule false; per rule, how many faces. */
function consistency(rows: readonly MllmAuditRow[], rules: RuleSet): MllmModelReport['consistency'] {
  const byFace = new Map<number, Record<string, LabelValue>>();
  for (const r of rows) {
    if (r.status !== 'ok' || r.value === null) continue;
    const v = labelFromText(r.key, r.value);
    if (v === null) continue;
    const values = byFace.get(r.faceId) ?? {};
    values[r.key] = v;
    byFace.set(r.faceId, values);
  }
  const errors = rules.rules.flatMap((cr, i) => (cr.rule.severity === 'error' ? [i] : []));
  const perRule = new Map<string, number>();
  let violating = 0;
  const truths = new Uint8Array(rules.rules.length);
  for (const values of byFace.values()) {
    rules.truths({ values }, truths);
    let broke = false;
    for (const i of errors) {
      if (truths[i] !== F) continue;
      broke = true;
      const id = rules.rules[i]!.rule.id;
      perRule.set(id, (perRule.get(id) ?? 0) + 1);
    }
    if (broke) violating++;
  }
  const faces = byFace.size;
  return {
    faces,
    violating,
    rate: faces === 0 ? null : violating / faces,
    rules: [...perRule]
      .map(([ruleId, n]) => ({ ruleId, faces: n }))
      .sort((a, b) => b.faces - a.faces || a.ruleId.localeCompare(b.ruleId)),
  };
}

/** Report order: the fields first, then the CelebA attributes in file order. */
const KEY_ORDER: readonly string[] = ['gender', 'age', 'expression', 'race', ...CELEBA_ATTRIBUTES];
const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);

function modelReport(model: string, rows: readonly MllmAuditRow[], rules: RuleSet): MllmModelReport {
  const keys = [...new Set(rows.map((r) => r.key))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const latencies = rows
    .map((r) => r.latencyMs)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  const confusions = keys.flatMap((key) => {
    const keyRows = rows.filter((r) => r.key === key);
    const classes = classesOf(key, keyRows);
    if (!classes) return [];
    const k = classes.length;
    const counts = new Array<number>(k * k).fill(0);
    for (const r of keyRows) {
      if (r.status !== 'ok') continue;
      const l = classes.indexOf(verified(r) ?? '');
      const a = classes.indexOf(compared(key, r.value) ?? '');
      if (l >= 0 && a >= 0) counts[l * k + a]! += 1;
    }
    return [{ key, classes: [...classes], counts }];
  });
  return {
    model,
    source: `mllm:${model}`,
    faces: new Set(rows.map((r) => r.faceId)).size,
    answers: rows.length,
    latencyMs: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) },
    keys: keys.map((key) =>
      keyMetrics(
        key,
        rows.filter((r) => r.key === key),
      ),
    ),
    consistency: consistency(rows, rules),
    confusions,
  };
}

/** The report over every model that answered about the dataset's faces, models by name. */
export function mllmReport(
  datasetId: number,
  rows: readonly MllmAuditRow[],
  rules: RuleSet,
  verifiedFaces: number,
): MllmReport {
  const models = [...new Set(rows.map((r) => r.model))].sort();
  return {
    datasetId,
    verifiedFaces,
    models: models.map((m) =>
      modelReport(
        m,
        rows.filter((r) => r.model === m),
        rules,
      ),
    ),
  };
}
