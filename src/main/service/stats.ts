// Dataset statistics beyond co-occurrence: label distributions, model-vs-label agreement, confusion matrices.
import type { AttributeAgreement, ConfusionMatrix } from '../../shared/api';
import {
  effectiveLabels,
  predictionFacts,
  type FaceFacts,
  type LabelRow,
  type PredictionRow,
} from '../../shared/rules';
import {
  AGE_BUCKETS,
  CELEBA_ATTRIBUTES,
  EXPRESSIONS,
  GENDERS,
  UTK_RACES,
  ageToBucket,
} from '../../shared/taxonomy';
import { labelFromText } from '../constraints/index';
import type { Handlers, ServiceContext } from './context';
import { readSettings } from './settings';

/** The confusion matrices the stats screen shows, with their class order. */
const CLASSES: Record<string, readonly string[]> = {
  expression: EXPRESSIONS,
  gender: GENDERS,
  race: UTK_RACES,
  age_bucket: AGE_BUCKETS,
};

/** Effective labels and thresholded predictions per face id. */
function facts(ctx: ServiceContext, datasetId: number, thresholds: Record<string, number>) {
  const labels = new Map<number, FaceFacts['values']>();
  let group: LabelRow[] = [];
  let face = -1;
  const flushLabels = () => {
    if (group.length > 0) labels.set(face, effectiveLabels(group).values);
    group = [];
  };
  for (const l of ctx.store.labels.iterateDataset(datasetId)) {
    if (l.faceId !== face) flushLabels();
    face = l.faceId;
    group.push({ key: l.key, source: l.source, value: labelFromText(l.key, l.value) });
  }
  flushLabels();
  const predictions = new Map<number, FaceFacts['values']>();
  let preds: PredictionRow[] = [];
  face = -1;
  const flushPreds = () => {
    if (preds.length > 0) predictions.set(face, predictionFacts(preds, { thresholds }).values);
    preds = [];
  };
  for (const p of ctx.store.faces.iteratePredictions(datasetId)) {
    if (p.faceId !== face) flushPreds();
    face = p.faceId;
    preds.push({ task: p.task, value: p.value });
  }
  flushPreds();
  return { labels, predictions };
}

/** A face's value of `key` as text; age buckets come from years when only years are known. */
function valueOf(v: FaceFacts['values'] | undefined, key: string): string | null {
  if (!v) return null;
  if (key === 'age_bucket' && v.age_bucket === undefined && typeof v.age === 'number')
    return ageToBucket(v.age);
  const x = v[key];
  return x === undefined || x === null ? null : String(x);
}

/** Accuracy, balanced accuracy (mean per-class recall) and F1 (positive class if binary, else macro). */
export function agreement(
  key: string,
  pairs: [string, string][],
  labels: Record<string, number>,
): AttributeAgreement {
  const n = pairs.length;
  if (n === 0) return { key, labels, n, accuracy: null, balancedAccuracy: null, f1: null };
  const classes = [...new Set(pairs.flat())];
  let right = 0;
  const recall: number[] = [];
  const f1s: number[] = [];
  for (const c of classes) {
    const tp = pairs.filter(([l, p]) => l === c && p === c).length;
    const actual = pairs.filter(([l]) => l === c).length;
    const predicted = pairs.filter(([, p]) => p === c).length;
    right += tp;
    if (actual > 0) recall.push(tp / actual);
    f1s.push(actual + predicted === 0 ? 0 : (2 * tp) / (actual + predicted));
  }
  const binary = classes.every((c) => c === '1' || c === '-1');
  const pos = classes.indexOf('1');
  const f1 = binary ? (pos < 0 ? 0 : f1s[pos]!) : f1s.reduce((a, b) => a + b, 0) / f1s.length;
  return {
    key,
    labels,
    n,
    accuracy: right / n,
    balancedAccuracy: recall.reduce((a, b) => a + b, 0) / recall.length,
    f1,
  };
}

export function statsHandlers(ctx: ServiceContext): Pick<Handlers, 'stats.agreement'> {
  return {
    'stats.agreement': async ({ datasetId }) => {
      ctx.getDataset(datasetId);
      const { thresholds } = await readSettings(ctx.deps.info.dataDir);
      const { labels, predictions } = facts(ctx, datasetId, thresholds);
      const keys = [...CELEBA_ATTRIBUTES, ...Object.keys(CLASSES)];
      const attributes = keys.map((key) => {
        const dist: Record<string, number> = {};
        const pairs: [string, string][] = [];
        for (const [faceId, v] of labels) {
          const l = valueOf(v, key);
          if (l === null) continue;
          dist[l] = (dist[l] ?? 0) + 1;
          const p = valueOf(predictions.get(faceId), key);
          if (p !== null) pairs.push([l, p]);
        }
        return agreement(key, pairs, dist);
      });
      const confusions: ConfusionMatrix[] = Object.entries(CLASSES).map(([key, classes]) => {
        const k = classes.length;
        const counts = new Array<number>(k * k).fill(0);
        for (const [faceId, v] of labels) {
          const l = classes.indexOf(valueOf(v, key) ?? '');
          const p = classes.indexOf(valueOf(predictions.get(faceId), key) ?? '');
          if (l >= 0 && p >= 0) counts[l * k + p]! += 1;
        }
        return { key, classes: [...classes], counts };
      });
      return { faces: labels.size, attributes, confusions };
    },
  };
}
