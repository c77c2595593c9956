// Builds FaceFacts from stored rows: effective labels (human over import) and thresholded predictions.
import { isCelebaAttribute, isExpression, isGender, isRace, type LabelValue } from '../taxonomy';
import type { FaceFacts } from './compile';

export interface LabelRow {
  key: string;
  source: 'human' | 'import';
  value: LabelValue | null;
}

/** The effective label per key: the human one where there is one (a human `null` clears), else the import. */
export function effectiveLabels(rows: readonly LabelRow[]): FaceFacts {
  const human = new Map<string, LabelValue | null>();
  const imported = new Map<string, LabelValue | null>();
  for (const r of rows) (r.source === 'human' ? human : imported).set(r.key, r.value);
  const values: Record<string, LabelValue> = {};
  for (const [k, v] of imported) if (v !== null) values[k] = v;
  for (const [k, v] of human) {
    if (v === null) delete values[k];
    else values[k] = v;
  }
  return { values };
}

/** A predictions row's task and JSON value, shaped as docs/architecture.md ("Query your data") lists per task. */
export interface PredictionRow {
  task: string;
  value: unknown;
}

export interface ThresholdOptions {
  /** P(+1) at or above which a CelebA attribute counts as present; default 0.5. */
  defaultThreshold?: number;
  /** Per-attribute thresholds, e.g. `{ Eyeglasses: 0.7 }`. */
  thresholds?: Readonly<Record<string, number>>;
}

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** Thresholded prediction values with their confidence (probability the chosen value is right). */
export function predictionFacts(rows: readonly PredictionRow[], options: ThresholdOptions = {}): FaceFacts {
  const values: Record<string, LabelValue> = {};
  const confidence: Record<string, number> = {};
  const def = options.defaultThreshold ?? 0.5;
  for (const { task, value } of rows) {
    if (typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    if (isCelebaAttribute(task)) {
      const p = num(v.p);
      if (p !== null) {
        const on = p >= (options.thresholds?.[task] ?? def);
        values[task] = on ? 1 : -1;
        confidence[task] = on ? p : 1 - p;
      } else if (v.value === 1 || v.value === -1) {
        values[task] = v.value;
      }
    } else if (task === 'age') {
      const years = num(v.years);
      if (years !== null) values.age = Math.round(years);
    } else if (task === 'gender' || task === 'race' || task === 'expression') {
      const label = v.label;
      const ok =
        typeof label === 'string' &&
        (task === 'gender' ? isGender(label) : task === 'race' ? isRace(label) : isExpression(label));
      if (!ok) continue;
      values[task] = label as LabelValue;
      const probs = v.probs as Record<string, unknown> | undefined;
      const p = num(v.p) ?? (probs ? num(probs[label]) : null);
      if (p !== null) confidence[task] = p;
    }
  }
  return { values, confidence };
}
