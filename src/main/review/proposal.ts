// "Apply constraints": the consistent decoding of a face's predictions, known labels held fixed, as label changes.
import type { LabelProposal } from '../../shared/api';
import { decodeConsistent, type Distribution } from '../../shared/rules';
import { checkLabelValue, isCelebaAttribute, isLabelKey, type LabelValue } from '../../shared/taxonomy';
import type { ConstraintEngine } from '../constraints/index';
import type { PredictionRecord, Store } from '../store/index';

/** Which prediction a key's distribution comes from when several exist: a learned head, a model, a formula. */
const SOURCE_RANK: Record<PredictionRecord['source'], number> = {
  learned: 0,
  model: 1,
  derived: 2,
  import: 3,
};

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1 ? x : null;
}

/** A prediction value as a distribution decodeConsistent accepts, or null (age in years, malformed values). */
export function predictionDistribution(task: string, value: unknown): Distribution | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (isCelebaAttribute(task)) return num(v.p);
  if (task === 'gender' && typeof v.label === 'string' && num(v.p) !== null) {
    const p = v.p as number;
    const other = v.label === 'Male' ? 'Female' : 'Male';
    return { [v.label]: p, [other]: 1 - p };
  }
  if ((task === 'race' || task === 'expression') && typeof v.probs === 'object' && v.probs !== null) {
    const out: Record<string, number> = {};
    for (const [k, p] of Object.entries(v.probs as Record<string, unknown>)) {
      const q = num(p);
      if (q !== null && checkLabelValue(task, k) === null) out[k] = q;
    }
    return Object.keys(out).length > 0 ? out : null;
  }
  return null;
}

/** Decodes the face's unlabelled predicted keys under the error rules; labelled keys stay as they are. */
export function faceProposal(store: Store, engine: ConstraintEngine, faceId: number): LabelProposal {
  const facts = engine.facts(faceId);
  const known = facts.labels?.values ?? {};
  const chosen = new Map<string, PredictionRecord>();
  for (const p of store.faces.predictions(faceId)) {
    const prev = chosen.get(p.task);
    if (!prev || SOURCE_RANK[p.source] < SOURCE_RANK[prev.source]) chosen.set(p.task, p);
  }
  const probs: Record<string, Distribution> = {};
  for (const [task, p] of chosen) {
    if (!isLabelKey(task) || known[task] !== undefined) continue;
    const d = predictionDistribution(task, p.value);
    if (d !== null) probs[task] = d;
  }
  const result = decodeConsistent(engine.ruleSet(), {
    probs,
    facts: { values: known, areas: facts.areas },
  });
  const changes = Object.entries(result.values)
    .filter(([key]) => key in probs)
    .map(([key, to]: [string, LabelValue]) => {
      const d = probs[key] as Distribution;
      const p = typeof d === 'number' ? (to === 1 ? d : 1 - d) : (d[String(to)] ?? null);
      return { key, from: null, to, p };
    });
  return { faceId, changes, logProb: result.logProb };
}
