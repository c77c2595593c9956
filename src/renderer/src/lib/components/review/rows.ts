// The attribute checklist's rows from a FaceDetail: human / imported label, prediction with probability and source.
import type { FaceDetail, MllmAnswer, PredictionEntry } from '@shared/api';
import { CELEBA_ATTRIBUTES, isCelebaAttribute, isLabelKey, labelDomain, MAX_AGE } from '@shared/taxonomy';

export const FIELD_KEYS = ['gender', 'age', 'age_bucket', 'race', 'expression'] as const;
export const ROW_KEYS: readonly string[] = [...FIELD_KEYS, ...CELEBA_ATTRIBUTES];

export interface Prediction {
  value: string | number;
  /** Probability of `value` (P(+1) for a CelebA attribute is turned into P(chosen value)). */
  p: number | null;
  source: PredictionEntry['source'];
  model: string;
}

export interface AttributeRow {
  key: string;
  binary: boolean;
  /** The values a categorical field takes (numbered 1-9 in its picker); null for yes / no and for age. */
  choices: readonly string[] | null;
  human: string | null;
  imported: string | null;
  effective: string | null;
  prediction: Prediction | null;
  /** The effective label and the prediction disagree. */
  disputed: boolean;
  /** Rule keys of the face's violations that involve this row. */
  violations: string[];
  /** What vision LLMs answered about this key (one per model), beside the other sources. */
  mllm: MllmAnswer[];
}

const RANK: Record<PredictionEntry['source'], number> = { learned: 0, model: 1, derived: 2, import: 3 };
const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export function readPrediction(e: PredictionEntry): Prediction | null {
  const v = (e.value ?? {}) as Record<string, unknown>;
  const base = { source: e.source, model: `${e.modelId} ${e.modelVersion}` };
  if (isCelebaAttribute(e.task)) {
    const p = num(v.p);
    if (p !== null) return { ...base, value: p >= 0.5 ? 1 : -1, p: p >= 0.5 ? p : 1 - p };
    return v.value === 1 || v.value === -1 ? { ...base, value: v.value, p: null } : null;
  }
  if (e.task === 'age') {
    const years = num(v.years);
    return years === null ? null : { ...base, value: Math.round(years), p: null };
  }
  if (typeof v.label !== 'string') return null;
  const probs = (v.probs ?? {}) as Record<string, unknown>;
  return { ...base, value: v.label, p: num(v.p) ?? num(probs[v.label]) };
}

/** Whether a stored label text and a predicted value mean the same (age within 5 years counts as agreeing). */
export function agrees(key: string, label: string, predicted: string | number): boolean {
  if (key === 'age') return Math.abs(Number(label) - Number(predicted)) <= 5;
  return label === String(predicted);
}

export function attributeRows(d: FaceDetail): AttributeRow[] {
  const best = new Map<string, PredictionEntry>();
  for (const p of d.predictions) {
    const prev = best.get(p.task);
    if (!prev || RANK[p.source] < RANK[prev.source]) best.set(p.task, p);
  }
  const involved = new Map<string, string[]>();
  for (const v of d.violations) {
    for (const x of v.values) involved.set(x.key, [...(involved.get(x.key) ?? []), v.ruleKey]);
  }
  return ROW_KEYS.map((key) => {
    const label = d.labels.find((l) => l.key === key);
    const entry = best.get(key);
    const prediction = entry ? readPrediction(entry) : null;
    const effective = label?.effective ?? null;
    return {
      key,
      binary: isCelebaAttribute(key),
      choices: fieldChoices(key),
      human: label?.human ?? null,
      imported: label?.imported ?? null,
      effective,
      prediction,
      disputed: effective !== null && prediction !== null && !agrees(key, effective, prediction.value),
      violations: [...new Set(involved.get(key) ?? [])],
      mllm: (d.mllm ?? []).filter((a) => a.key === key),
    };
  });
}

/** The values a categorical field's picker lists (gender, age bucket, race, expression), else null. */
export function fieldChoices(key: string): readonly string[] | null {
  if (!isLabelKey(key) || isCelebaAttribute(key) || key === 'age') return null;
  return (labelDomain(key) ?? []).map(String);
}

/** A typed age (whole years, 0 to MAX_AGE) as the number `labels.set` takes, or null when it is not one. */
export function parseAge(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,3}$/.test(t)) return null;
  const n = Number(t);
  return n <= MAX_AGE ? n : null;
}

/** How a label value reads in the checklist. */
export function showValue(key: string, value: string | number | null): string {
  if (value === null) return '—';
  if (isCelebaAttribute(key)) return Number(value) === 1 ? 'yes' : 'no';
  return String(value);
}

/** The changes "accept all predictions" applies: every predicted key whose label differs from the prediction. */
export function acceptAllChanges(rows: readonly AttributeRow[]): { key: string; value: string | number }[] {
  return rows.flatMap((r) =>
    r.prediction && (r.effective === null || !agrees(r.key, r.effective, r.prediction.value))
      ? [{ key: r.key, value: r.prediction.value }]
      : [],
  );
}
