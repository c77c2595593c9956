// Mask versions in the face's undo history: a saved human mask is a label_events step (key 'mask', old / new the
// human version before and after); undoing it parks the version here, redoing it moves it back to `masks`.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`CREATE TABLE masks_undone (
    id INTEGER PRIMARY KEY,
    face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source = 'human'),
    version INTEGER NOT NULL,
    png BLOB NOT NULL,
    box TEXT NOT NULL,
    areas TEXT,
    created_at INTEGER NOT NULL
  ) STRICT`);
  db.exec(`CREATE INDEX masks_undone_face ON masks_undone(face_id, version)`);
}
