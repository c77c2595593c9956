// Learned attribute heads (weights + metadata + metrics) and per-dataset learning settings.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE learned_models (
      id INTEGER PRIMARY KEY,
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      run_id TEXT NOT NULL UNIQUE,
      job_id INTEGER,
      embedding_model TEXT NOT NULL,
      lambda REAL NOT NULL,
      keys TEXT NOT NULL,
      dims INTEGER NOT NULL,
      weights BLOB NOT NULL,
      metrics TEXT NOT NULL,
      human_labels INTEGER NOT NULL,
      active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX learned_models_active ON learned_models(dataset_id, active, id);

    CREATE TABLE learning_settings (
      dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
      retrain_every INTEGER,
      lambda REAL NOT NULL DEFAULT 0.5,
      embedding_model TEXT NOT NULL DEFAULT 'faceres' CHECK (embedding_model IN ('faceres', 'mobilefacenet')),
      decode INTEGER NOT NULL DEFAULT 0 CHECK (decode IN (0, 1))
    ) STRICT;

    CREATE INDEX predictions_source ON predictions(source, face_id);
  `);
}
