// Human label changes written as undoable steps (kind, step, undo_of on label_events), and the face's step log.
import type { Database } from 'better-sqlite3';

export type HistoryKind = 'edit' | 'undo' | 'redo';

export interface HistoryEvent {
  id: number;
  key: string;
  old: string | null;
  new: string | null;
  kind: HistoryKind;
  /** The step this event belongs to (the id of the step's first event). */
  step: number;
  undoOf: number | null;
}

export interface HistoryChange {
  key: string;
  /** Stored text, or null to clear the human label (back to the imported one). */
  value: string | null;
}

export function createLabelHistoryRepository(db: Database) {
  const current = db
    .prepare(`SELECT value FROM labels WHERE face_id = ? AND key = ? AND source = 'human'`)
    .pluck();
  const upsert = db.prepare(`INSERT INTO labels (face_id, key, source, value, updated_at)
    VALUES (@faceId, @key, 'human', @value, @at) ON CONFLICT (face_id, key, source)
    DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
  const remove = db.prepare(`DELETE FROM labels WHERE face_id = ? AND key = ? AND source = 'human'`);
  const insertEvent =
    db.prepare(`INSERT INTO label_events (face_id, key, old, new, actor, at, kind, step, undo_of)
    VALUES (@faceId, @key, @old, @value, @actor, @at, @kind, @step, @undoOf) RETURNING id`);
  const log = db.prepare(`SELECT id, key, old, new, kind, coalesce(step, id) AS step, undo_of AS undoOf
    FROM label_events WHERE face_id = ? ORDER BY id`);

  return {
    /**
     * Applies several human label changes as one step (unchanged keys are skipped) and returns the step id,
     * or null when nothing changed. The caller's store.write() re-checks violations in the same transaction.
     */
    applyStep(
      faceId: number,
      changes: readonly HistoryChange[],
      meta: { actor: string; kind: HistoryKind; undoOf: number | null; at?: number },
    ): number | null {
      const at = meta.at ?? Date.now();
      let step: number | null = null;
      for (const c of changes) {
        const old = (current.get(faceId, c.key) as string | undefined) ?? null;
        if (old === c.value) continue;
        if (c.value === null) remove.run(faceId, c.key);
        else upsert.run({ faceId, key: c.key, value: c.value, at });
        const id: number = (
          insertEvent.get({
            faceId,
            key: c.key,
            old,
            value: c.value,
            actor: meta.actor,
            at,
            kind: meta.kind,
            step,
            undoOf: meta.undoOf,
          }) as { id: number }
        ).id;
        step ??= id;
      }
      return step;
    },
    /** Every label event of a face in order, with its step (legacy rows are steps of their own). */
    log(faceId: number): HistoryEvent[] {
      return log.all(faceId) as HistoryEvent[];
    },
  };
}
export type LabelHistoryRepository = ReturnType<typeof createLabelHistoryRepository>;
