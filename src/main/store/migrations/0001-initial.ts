// The initial schema: table and column names are a public interface (docs/architecture.md, "Query your data").
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE datasets (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      root TEXT NOT NULL UNIQUE,
      format TEXT NOT NULL DEFAULT 'folder',
      created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE images (
      id INTEGER PRIMARY KEY,
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      rel_path TEXT NOT NULL,
      sha256 TEXT,
      width INTEGER,
      height INTEGER,
      split TEXT,
      status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
      error TEXT,
      size_bytes INTEGER,
      mtime_ms INTEGER,
      created_at INTEGER NOT NULL,
      UNIQUE (dataset_id, rel_path)
    ) STRICT;
    CREATE INDEX images_sha256 ON images(dataset_id, sha256);
    CREATE INDEX images_status ON images(dataset_id, status, rel_path);

    CREATE TABLE faces (
      id INTEGER PRIMARY KEY,
      image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      idx INTEGER NOT NULL,
      x REAL NOT NULL,
      y REAL NOT NULL,
      w REAL NOT NULL,
      h REAL NOT NULL,
      det_score REAL,
      landmarks BLOB,
      source TEXT NOT NULL CHECK (source IN ('detected', 'imported')),
      UNIQUE (image_id, idx)
    ) STRICT;

    CREATE TABLE predictions (
      id INTEGER PRIMARY KEY,
      face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
      model_id TEXT NOT NULL,
      model_version TEXT NOT NULL,
      task TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('model', 'derived', 'learned', 'import')),
      value TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX predictions_face ON predictions(face_id, task);

    CREATE TABLE labels (
      face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('human', 'import')),
      value TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (face_id, key, source)
    ) STRICT, WITHOUT ROWID; -- clustered by face: a CelebA import writes 40 rows a face, reads go by face

    CREATE TABLE label_events (
      id INTEGER PRIMARY KEY,
      face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      old TEXT,
      new TEXT,
      actor TEXT NOT NULL,
      at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX label_events_face ON label_events(face_id, id);

    CREATE TABLE masks (
      face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
      source TEXT NOT NULL CHECK (source IN ('derived', 'model', 'import', 'human')),
      version INTEGER NOT NULL DEFAULT 1,
      png BLOB NOT NULL,
      box TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (face_id, source, version)
    ) STRICT;

    CREATE TABLE reviews (
      face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
      status TEXT NOT NULL CHECK (status IN ('unreviewed', 'reviewed', 'flagged', 'skipped')),
      at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE rules (
      id INTEGER PRIMARY KEY,
      key TEXT NOT NULL UNIQUE,
      severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
      text TEXT NOT NULL,
      enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
    ) STRICT;

    CREATE TABLE violations (
      id INTEGER PRIMARY KEY,
      face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
      rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
      subject TEXT NOT NULL CHECK (subject IN ('labels', 'predictions', 'cross')),
      detail TEXT NOT NULL
    ) STRICT;
    CREATE INDEX violations_face ON violations(face_id);
    CREATE INDEX violations_rule ON violations(rule_id);

    CREATE TABLE embeddings (
      face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
      model_id TEXT NOT NULL,
      vector BLOB NOT NULL,
      PRIMARY KEY (face_id, model_id)
    ) STRICT;

    CREATE TABLE jobs (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL,
      dataset_id INTEGER REFERENCES datasets(id) ON DELETE CASCADE,
      params TEXT NOT NULL DEFAULT '{}',
      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'done', 'failed', 'cancelled')),
      done INTEGER NOT NULL DEFAULT 0,
      total INTEGER NOT NULL DEFAULT 0,
      failed INTEGER NOT NULL DEFAULT 0,
      error TEXT,
      summary TEXT NOT NULL DEFAULT '{}',
      cancel_requested INTEGER NOT NULL DEFAULT 0,
      planned INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX jobs_state ON jobs(state, id);

    -- Work items of a job, claimed one by one under a lease so a killed runner's item is claimed again.
    CREATE TABLE job_items (
      id INTEGER PRIMARY KEY,
      job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'done', 'failed')),
      worker TEXT,
      lease_until INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0,
      error TEXT,
      UNIQUE (job_id, key)
    ) STRICT;
    CREATE INDEX job_items_claim ON job_items(job_id, state, id);
  `);
}
