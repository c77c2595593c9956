// After an annotation import: re-evaluates the enabled rules over every face's effective labels.
import { RuleSet, effectiveLabels, parseRules, type LabelRow } from '../../../shared/rules';
import { isCelebaAttribute, type LabelValue } from '../../../shared/taxonomy';
import type { Store } from '../../store/index';

/** Stored label text -> the value rules read (CelebA and age are numbers, the rest taxonomy names). */
export function labelValue(key: string, text: string): LabelValue {
  return isCelebaAttribute(key) || key === 'age' ? Number(text) : (text as LabelValue);
}

export interface ReevaluateReport {
  faces: number;
  violations: number;
  rules: number;
}

/**
 * Replaces every face's `labels` violations (prediction and cross ones belong to the analysis pass). Reads the
 * dataset's labels in one pass, then writes in one transaction (SQLite cannot write while a read is open).
 */
export function reevaluateLabelRules(store: Store, datasetId: number): ReevaluateReport {
  const rows = store.rules.list().filter((r) => r.enabled);
  if (rows.length === 0) return { faces: 0, violations: 0, rules: 0 };
  // Stored rules that break today's parser limits are left out, as in the ConstraintEngine.
  const set = new RuleSet(parseRules(rows.map((r) => r.text).join('\n')).rules);
  const ruleIds = new Map(rows.map((r) => [r.key, r.id]));
  const results: { faceId: number; found: { ruleId: number; detail: unknown }[] }[] = [];
  for (const { faceId, labels } of store.annotations.labelsByFace(datasetId)) {
    const rows: LabelRow[] = (JSON.parse(labels) as [string, 'human' | 'import', string][]).map(
      ([key, source, value]) => ({ key, source, value: labelValue(key, value) }),
    );
    if (rows.length === 0) continue;
    const found = set
      .evaluateFace({ labels: effectiveLabels(rows) }, { fixes: false })
      .filter((v) => v.subject === 'labels')
      .map((v) => ({
        ruleId: ruleIds.get(v.ruleId) as number,
        detail: { values: v.values, explanation: v.explanation },
      }));
    // Faces without violations still get their old label violations cleared.
    results.push({ faceId, found });
  }
  let violations = 0;
  store.write(() => {
    for (const r of results) {
      store.annotations.replaceLabelViolations(r.faceId, r.found);
      violations += r.found.length;
    }
  });
  return { faces: results.length, violations, rules: rows.length };
}
