// The evidence beside the held-out heads: violated rules that read a label, bundled models and vision LLMs
// (their `mllm-audit` answers, as `mllm:<model>`) that say otherwise.
import { ageToBucket, isCelebaAttribute } from '../../shared/taxonomy';
import type { Store } from '../store/index';
import type { LabelIssueRow } from '../store/repositories/learning';
import { scoreIssues, type ConfidentLearning, type IssueEvidence } from './label-issues';

interface StoredDetail {
  values?: { key: string; source: string }[];
  fixes?: { changes: { key: string; to: unknown }[] }[];
}

/** A bundled or derived prediction's value for `task`, spelled as labels are (`1`, `Male`, `20-29`). */
function predictedValue(
  task: string,
  v: Record<string, unknown>,
): { value: string; p: number | null } | null {
  if (isCelebaAttribute(task)) {
    if (v.value !== 1 && v.value !== -1) return null;
    const p = typeof v.p === 'number' ? (v.value === 1 ? v.p : 1 - v.p) : null;
    return { value: String(v.value), p };
  }
  if (task === 'age' && typeof v.years === 'number') return { value: ageToBucket(v.years), p: null };
  if (typeof v.label !== 'string') return null;
  const probs = v.probs as Record<string, number> | undefined;
  const p = typeof v.p === 'number' ? v.p : typeof probs?.[v.label] === 'number' ? probs[v.label]! : null;
  return { value: v.label, p };
}

/**
 * Label-issue rows of a training run: confident learning's per-key verdicts joined with the face's violated
 * label / cross rules and its bundled model predictions, scored (issueScore) and cut to what is worth storing.
 */
export function labelIssueRows(
  store: Store,
  datasetId: number,
  faceIds: readonly number[],
  labels: Map<number, Map<string, string>>,
  cl: ConfidentLearning,
): {
  issues: Omit<LabelIssueRow, 'runId'>[];
  faces: { faceId: number; score: number; key: string; suspects: number }[];
} {
  const rowOf = new Map(faceIds.map((id, i) => [id, i]));
  const evidence = new Map<number, Map<string, IssueEvidence>>();
  const at = (row: number, key: string): IssueEvidence => {
    let m = evidence.get(row);
    if (!m) evidence.set(row, (m = new Map()));
    let e = m.get(key);
    if (!e) m.set(key, (e = { rules: [], models: [] }));
    return e;
  };
  for (const v of store.learning.labelViolations(datasetId)) {
    const row = rowOf.get(v.faceId);
    if (row === undefined) continue;
    const detail = (v.detail ?? {}) as StoredDetail;
    const keys = new Set((detail.values ?? []).filter((x) => x.source === 'label').map((x) => x.key));
    for (const key of keys) {
      const change = detail.fixes?.flatMap((f) => f.changes).find((c) => c.key === key);
      at(row, key === 'age' ? 'age_bucket' : key).rules.push({
        rule: v.rule,
        subject: v.subject,
        fixTo: change ? String(change.to) : null,
      });
    }
  }
  for (const pr of store.learning.modelPredictions(datasetId)) {
    const row = rowOf.get(pr.faceId);
    if (row === undefined) continue;
    const key = pr.task === 'age' ? 'age_bucket' : pr.task;
    const label = labels.get(pr.faceId)?.get(key);
    if (label === undefined) continue;
    const got = predictedValue(pr.task, pr.value as Record<string, unknown>);
    if (got && got.value !== label) at(row, key).models.push({ model: pr.modelId, ...got });
  }
  for (const a of store.mllm.parsedAnswers(datasetId)) {
    const row = rowOf.get(a.faceId);
    if (row === undefined) continue;
    const key = a.key === 'age' ? 'age_bucket' : a.key;
    const label = labels.get(a.faceId)?.get(key);
    const value = a.key === 'age' ? ageToBucket(Number(a.value)) : a.value;
    if (label !== undefined && value !== label)
      at(row, key).models.push({ model: `mllm:${a.model}`, value, p: null });
  }
  const { issues, faces } = scoreIssues(cl, (row, key) => evidence.get(row)?.get(key));
  return {
    issues: issues.map(({ row, margin: _m, ...rest }) => ({ faceId: faceIds[row]!, ...rest })),
    faces: faces.map((f) => ({ faceId: faceIds[f.row]!, score: f.score, key: f.key, suspects: f.suspects })),
  };
}
