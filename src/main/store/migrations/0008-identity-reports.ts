// The identity report (clusters, duplicates, leakage) a job computes per dataset, with what it was computed from.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE identity_reports (
      dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
      threshold REAL NOT NULL,
      duplicate_threshold REAL NOT NULL,
      -- IdentityReport as JSON.
      report TEXT NOT NULL,
      -- The dataset's faces / embeddings / splits state the report was computed from (identities.ts stamp()).
      stamp TEXT NOT NULL,
      job_id INTEGER,
      computed_at INTEGER NOT NULL
    ) STRICT;
  `);
}
