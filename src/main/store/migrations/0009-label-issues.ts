// Label-issue scores of a training run: per (face, key) with their evidence, and per face for the gallery order.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    -- Labels the held-out heads, the rules or the bundled models doubt (plus each face's top key), by run.
    CREATE TABLE label_issues (
      face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      run_id TEXT NOT NULL,
      label TEXT NOT NULL,
      suggested TEXT NOT NULL,
      p_label REAL NOT NULL,
      p_suggested REAL NOT NULL,
      threshold REAL NOT NULL,
      suspect INTEGER NOT NULL CHECK (suspect IN (0, 1)),
      score REAL NOT NULL,
      -- IssueEvidence as JSON: {rules: [...], models: [...]}.
      evidence TEXT NOT NULL,
      PRIMARY KEY (face_id, key)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX label_issues_rank ON label_issues(dataset_id, score DESC);

    -- Each labelled face's highest label-issue score: the gallery's "likely wrong labels" order reads it.
    CREATE TABLE face_label_scores (
      face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      score REAL NOT NULL,
      key TEXT NOT NULL,
      suspects INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX face_label_scores_rank ON face_label_scores(dataset_id, score DESC, face_id);
  `);
}
