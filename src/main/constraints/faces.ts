// Face detail and label edits: one edit = labels + label_events + violations in one transaction.
import type { FaceDetail, LabelEntry, StaleLabel, ViolationEntry } from '../../shared/api';
import { AppError } from '../../shared/errors';
import { checkLabelValue, isCelebaAttribute, isLabelKey, type LabelValue } from '../../shared/taxonomy';
import type { Store, ViolationRow } from '../store/index';
import { staleLabels } from '../review/stale';
import { labelToText, type ConstraintEngine, type StoredViolationDetail } from './index';

export function toViolationEntry(v: ViolationRow): ViolationEntry {
  const d = v.detail as StoredViolationDetail;
  return {
    id: v.id,
    faceId: v.faceId,
    imageId: v.imageId,
    relPath: v.relPath,
    ruleKey: v.ruleKey,
    severity: v.severity,
    subject: v.subject,
    explanation: d.explanation,
    rationale: d.rationale,
    values: d.values.map((x) => ({ key: x.key, value: x.value as string | number, source: x.source })),
    fixes: d.fixes.map((f) => ({
      cost: f.cost,
      changes: f.changes.map((c) => ({
        key: c.key,
        from: c.from as string | number,
        to: c.to as string | number,
      })),
    })),
  };
}

export function faceDetail(store: Store, id: number): FaceDetail {
  const face = store.faces.summary(id);
  if (!face) throw new AppError('not_found', `face ${id} not found`, { where: { field: 'id' } });
  const byKey = new Map<string, LabelEntry>();
  for (const l of store.labels.forFace(id)) {
    const e = byKey.get(l.key) ?? { key: l.key, human: null, imported: null, effective: null };
    if (l.source === 'human') e.human = l.value;
    else e.imported = l.value;
    e.effective = e.human ?? e.imported;
    byKey.set(l.key, e);
  }
  const lm = store.faces.landmarks(id);
  return {
    face,
    landmarks: lm ? Array.from(lm) : null,
    labels: [...byKey.values()],
    predictions: store.faces.predictions(id).map(({ modelId, modelVersion, task, source, value }) => ({
      modelId,
      modelVersion,
      task,
      source,
      value,
    })),
    masks: store.faces.masks(id).map((m) => ({
      source: m.source,
      version: m.version,
      box: m.box,
      classes: m.areas?.classes ?? null,
      areas: m.areas?.fraction ?? null,
    })),
    embeddings: store.faces.embeddings(id).map((e) => ({ modelId: e.modelId, dims: e.vector.length })),
    violations: store.rules
      .violations({ datasetId: face.datasetId, faceId: id, limit: 1000 })
      .items.map(toViolationEntry),
    history: store.labels
      .events(id, 50)
      .map((e) => ({ id: e.id, key: e.key, old: e.old, new: e.new, actor: e.actor, at: e.at })),
    reviews: store.team
      .faceReviews(id)
      .map((r) => ({ ...r, status: r.status as FaceDetail['reviews'][number]['status'] })),
    takeOvers: store.team.faceTakeOvers(id),
    claims: store.team.faceClaims(id).map((c) => ({ user: c.name, until: c.until })),
    mllm: store.mllm.forFace(id),
    lastEventId: store.labelHistory.lastEventId(id),
  };
}

/** Coerces what a client sends (1, "1", "Male", 34, "34") to the taxonomy's typed value, or explains why not. */
export function coerceLabel(key: string, raw: string | number): LabelValue {
  if (!isLabelKey(key)) {
    throw new AppError('invalid_request', `unknown label key "${key}"`, { where: { field: 'key' } });
  }
  const numeric = isCelebaAttribute(key) || key === 'age';
  const value = numeric && typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  const problem = checkLabelValue(key, value);
  if (problem) {
    throw new AppError('invalid_request', `${key}: ${problem}, got ${JSON.stringify(raw)}`, {
      where: { field: 'value' },
    });
  }
  return value as LabelValue;
}

/**
 * Sets or clears a human label and re-checks the face, all in one transaction. With `seenEventId` (the face's
 * last event the editor had seen), answers the labels it overwrote unseen (`review/stale.ts`).
 */
export function setLabel(
  store: Store,
  engine: ConstraintEngine,
  e: { faceId: number; key: string; value: string | number | null; actor: string; seenEventId?: number },
): StaleLabel[] {
  const value = e.value === null ? null : labelToText(coerceLabel(e.key, e.value));
  if (e.value === null && !isLabelKey(e.key)) {
    throw new AppError('invalid_request', `unknown label key "${e.key}"`, { where: { field: 'key' } });
  }
  return store.write(() => {
    if (!store.faces.get(e.faceId)) {
      throw new AppError('not_found', `face ${e.faceId} not found`, { where: { field: 'faceId' } });
    }
    const stale = staleLabels(store, e.faceId, [{ key: e.key, value }], e.seenEventId);
    store.labels.setHuman({ faceId: e.faceId, key: e.key, value, actor: e.actor });
    engine.refreshFace(e.faceId);
    return stale;
  });
}
