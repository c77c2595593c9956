// Label history as an undo log: each event's kind (edit / undo / redo), the step it belongs to, what it reverts.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  // Existing rows are plain edits, each its own step (step NULL means "the event's own id").
  db.exec(`ALTER TABLE label_events ADD COLUMN kind TEXT NOT NULL DEFAULT 'edit'
    CHECK (kind IN ('edit', 'undo', 'redo'))`);
  // Several changes made by one action (labels.apply) share a step: the id of the step's first event.
  db.exec(`ALTER TABLE label_events ADD COLUMN step INTEGER`);
  // For undo / redo events: the step (of an edit) that is reverted or re-applied.
  db.exec(`ALTER TABLE label_events ADD COLUMN undo_of INTEGER`);
}
