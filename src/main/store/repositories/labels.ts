// Labels (human beside import) and the append-only label_events history of human edits.
import type { Db as Database } from '../db-types';

export interface StoredLabel {
  faceId: number;
  key: string;
  source: 'human' | 'import';
  /** Text as stored: CelebA `1` / `-1`, age in years, or a taxonomy name. */
  value: string;
  updatedAt: number;
}

export interface LabelEvent {
  id: number;
  faceId: number;
  key: string;
  old: string | null;
  new: string | null;
  actor: string;
  at: number;
}

export function createLabelsRepository(db: Database) {
  const current = db
    .prepare(`SELECT value FROM labels WHERE face_id = ? AND key = ? AND source = 'human'`)
    .pluck();
  const upsert = db.prepare(`INSERT INTO labels (face_id, key, source, value, updated_at)
    VALUES (@faceId, @key, @source, @value, @at) ON CONFLICT (face_id, key, source)
    DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
  const removeHuman = db.prepare(`DELETE FROM labels WHERE face_id = ? AND key = ? AND source = 'human'`);
  const history = db.prepare(`INSERT INTO label_events (face_id, key, old, new, actor, at)
    VALUES (@faceId, @key, @old, @value, @actor, @at)`);
  const forFace = db.prepare(`SELECT face_id AS faceId, key, source, value, updated_at AS updatedAt
    FROM labels WHERE face_id = ? ORDER BY key, source`);
  const events = db.prepare(`SELECT id, face_id AS faceId, key, old, new, actor, at FROM label_events
    WHERE face_id = ? ORDER BY id DESC LIMIT ?`);
  const forDataset =
    db.prepare(`SELECT l.face_id AS faceId, l.key, l.source, l.value, l.updated_at AS updatedAt
    FROM labels l JOIN faces f ON f.id = l.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? ORDER BY l.face_id`);

  return {
    /**
     * Sets (value) or clears (null: back to the imported label, if any) a human label and appends the event.
     * Returns the previous human value; the caller's store.write() re-checks violations in the same transaction.
     */
    setHuman(e: {
      faceId: number;
      key: string;
      value: string | null;
      actor: string;
      at?: number;
    }): string | null {
      const at = e.at ?? Date.now();
      const old = (current.get(e.faceId, e.key) as string | undefined) ?? null;
      if (old === e.value) return old;
      if (e.value === null) removeHuman.run(e.faceId, e.key);
      else upsert.run({ faceId: e.faceId, key: e.key, source: 'human', value: e.value, at });
      history.run({ faceId: e.faceId, key: e.key, old, value: e.value, actor: e.actor, at });
      return old;
    },
    /** Import labels never write history: label_events holds human edits only (docs/architecture.md). */
    setImported(faceId: number, key: string, value: string, at = Date.now()): void {
      upsert.run({ faceId, key, source: 'import', value, at });
    },
    forFace(faceId: number): StoredLabel[] {
      return forFace.all(faceId) as StoredLabel[];
    },
    events(faceId: number, limit = 100): LabelEvent[] {
      return events.all(faceId, limit) as LabelEvent[];
    },
    /** Every label of a dataset, grouped by face id (ordered), for bulk evaluation and statistics. */
    *iterateDataset(datasetId: number): Generator<StoredLabel> {
      yield* forDataset.iterate(datasetId) as Iterable<StoredLabel>;
    },
  };
}
export type LabelsRepository = ReturnType<typeof createLabelsRepository>;
