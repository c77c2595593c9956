// Human label changes written as undoable steps (kind, step, undo_of on label_events), and the face's step log;
// saved human mask versions are steps too (key MASK_KEY), undone by parking the version in masks_undone.
import type { Db as Database } from '../db-types';

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

/** The label_events key of a mask step: old / new are the face's newest human mask version before / after. */
export const MASK_KEY = 'mask';

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
  const latestHuman = db
    .prepare(`SELECT max(version) FROM masks WHERE face_id = ? AND source = 'human'`)
    .pluck();
  const park = db.prepare(`INSERT INTO masks_undone (face_id, source, version, png, box, areas, created_at)
    SELECT face_id, source, version, png, box, areas, created_at FROM masks
    WHERE face_id = ? AND source = 'human' AND version = ?`);
  const dropMask = db.prepare(`DELETE FROM masks WHERE face_id = ? AND source = 'human' AND version = ?`);
  const parked = db
    .prepare(`SELECT max(id) FROM masks_undone WHERE face_id = ? AND source = 'human' AND version = ?`)
    .pluck();
  const unpark = db.prepare(`INSERT INTO masks (face_id, source, version, png, box, areas, created_at)
    SELECT face_id, source, version, png, box, areas, created_at FROM masks_undone WHERE id = ?`);
  const dropParked = db.prepare(`DELETE FROM masks_undone WHERE id = ?`);
  const log = db.prepare(`SELECT id, key, old, new, kind, coalesce(step, id) AS step, undo_of AS undoOf
    FROM label_events WHERE face_id = ? ORDER BY id`);
  const lastId = db.prepare(`SELECT coalesce(max(id), 0) FROM label_events WHERE face_id = ?`).pluck();
  const since = db.prepare(`SELECT id, old, new, actor, at FROM label_events
    WHERE face_id = ? AND key = ? AND id > ? ORDER BY id`);

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
    /** The face's newest human mask version, or null. */
    latestHumanMask(faceId: number): number | null {
      return (latestHuman.get(faceId) as number | null) ?? null;
    },
    /**
     * Records a mask step (a save: old = the newest human version before, new = the saved one; an undo / redo:
     * the reverse) and returns its id. The caller moves the versions (parkMask / restoreMask) in the same write.
     */
    maskStep(
      faceId: number,
      change: { old: number | null; new: number | null },
      meta: { actor: string; kind: HistoryKind; undoOf: number | null; at?: number },
    ): number {
      const text = (v: number | null) => (v === null ? null : String(v));
      return (
        insertEvent.get({
          faceId,
          key: MASK_KEY,
          old: text(change.old),
          value: text(change.new),
          actor: meta.actor,
          at: meta.at ?? Date.now(),
          kind: meta.kind,
          step: null,
          undoOf: meta.undoOf,
        }) as { id: number }
      ).id;
    },
    /** Hides a human mask version (undo of its save); false when the version is not in `masks`. */
    parkMask(faceId: number, version: number): boolean {
      if (park.run(faceId, version).changes === 0) return false;
      dropMask.run(faceId, version);
      return true;
    },
    /** Brings a parked human mask version back (redo of its save); false when none is parked. */
    restoreMask(faceId: number, version: number): boolean {
      const id = parked.get(faceId, version) as number | null;
      if (id === null) return false;
      unpark.run(id);
      dropParked.run(id);
      return true;
    },
    /** The face's newest label_events id, 0 when it has none (what a client's view of the face is as of). */
    lastEventId(faceId: number): number {
      return Number(lastId.get(faceId));
    },
    /**
     * The changes of one key made after event `afterId` (a client's view): what the key was then (`old` of the
     * first) and who set it last, or null when nothing changed since.
     */
    changedSince(
      faceId: number,
      key: string,
      afterId: number,
    ): { seen: string | null; last: { value: string | null; actor: string; at: number } } | null {
      const rows = since.all(faceId, key, afterId) as {
        old: string | null;
        new: string | null;
        actor: string;
        at: number;
      }[];
      const first = rows[0];
      const last = rows.at(-1);
      if (!first || !last) return null;
      return { seen: first.old, last: { value: last.new, actor: last.actor, at: last.at } };
    },
    /** Every label event of a face in order, with its step (legacy rows are steps of their own). */
    log(faceId: number): HistoryEvent[] {
      return log.all(faceId) as HistoryEvent[];
    },
  };
}
export type LabelHistoryRepository = ReturnType<typeof createLabelHistoryRepository>;
