// Vision-LLM answers (issue #31): the latest answer per face, model and key, and the request cache.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  // Answers live beside `predictions`, not in it: an audit must not change what the gallery, the rules over
  // predictions or the learned heads read as the face models' output. `source` spells them `mllm:<model>`.
  db.exec(`
    CREATE TABLE mllm_answers (
      id INTEGER PRIMARY KEY,
      face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
      job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
      endpoint TEXT NOT NULL,
      model TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source = 'mllm:' || model),
      key TEXT NOT NULL,
      template TEXT NOT NULL,
      value TEXT,
      status TEXT NOT NULL CHECK (status IN ('ok', 'unparsed', 'error')),
      raw TEXT,
      latency_ms REAL,
      cached INTEGER NOT NULL CHECK (cached IN (0, 1)),
      created_at INTEGER NOT NULL,
      UNIQUE (face_id, model, key)
    ) STRICT;
    CREATE INDEX mllm_answers_model ON mllm_answers(model, key);

    -- A request's raw answer by sha256 of (endpoint URL, model, template version, image sha256, box, image
    -- size): a rerun of the same question on the same pixels is answered from here, without a request.
    CREATE TABLE mllm_cache (
      key TEXT PRIMARY KEY,
      raw TEXT NOT NULL,
      latency_ms REAL NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
  `);
}
