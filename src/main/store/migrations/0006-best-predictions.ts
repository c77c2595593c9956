// Per-(face, task) best prediction with its value and confidence as columns, kept by triggers on predictions.
import type { Database } from 'better-sqlite3';

// The prediction the gallery reads: learned first, then model, derived, import; the newest of a source.
const rank = (source: string) =>
  `CASE ${source} WHEN 'learned' THEN 0 WHEN 'model' THEN 1 WHEN 'derived' THEN 2 ELSE 3 END`;
const best = (face: string, task: string) => `(SELECT id FROM predictions
  WHERE face_id = ${face} AND task = ${task} ORDER BY ${rank('source')}, id DESC LIMIT 1)`;

// Predictions spell a class as {"label": …} (gender, race, expression) or {"value": ±1} (CelebA).
const valueOf = (v: string) =>
  `CAST(coalesce(json_extract(${v}, '$.label'), json_extract(${v}, '$.value')) AS TEXT)`;
// Confidence of the predicted value: max(p, 1 - p) for CelebA's P(+1), p or probs[label] for classes; none
// where `p` is not a number (age stores its distribution over years there).
const confOf = (v: string) => `CASE WHEN json_type(${v}, '$.value') IS NOT NULL
    THEN max(json_extract(${v}, '$.p'), 1 - json_extract(${v}, '$.p'))
  WHEN json_type(${v}, '$.probs') IS NOT NULL
    THEN json_extract(${v}, '$.probs."' || json_extract(${v}, '$.label') || '"')
  WHEN json_type(${v}, '$.p') IN ('real', 'integer') THEN json_extract(${v}, '$.p') END`;

/**
 * Recomputes one (face, task) row: the best prediction's, or none. A face being deleted gets none (its
 * predictions' cascade fires these triggers after the face row is gone).
 */
function refresh(face: string, task: string): string {
  return `DELETE FROM best_predictions WHERE face_id = ${face} AND task = ${task};
    INSERT INTO best_predictions (face_id, task, prediction_id, source, value, conf)
      SELECT p.face_id, p.task, p.id, p.source, ${valueOf('p.value')}, ${confOf('p.value')}
      FROM predictions p WHERE p.id = ${best(face, task)}
      AND EXISTS (SELECT 1 FROM faces WHERE id = ${face});`;
}

export function up(db: Database): void {
  // Labels need no copy: labels is clustered by (face_id, key, source), so the effective label is one or two
  // primary-key reads; predictions are JSON chosen by precedence, which is what made the filters slow.
  db.exec(`
    CREATE TABLE best_predictions (
      face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
      task TEXT NOT NULL,
      prediction_id INTEGER NOT NULL,
      source TEXT NOT NULL,
      value TEXT,
      conf REAL,
      PRIMARY KEY (face_id, task)
    ) STRICT, WITHOUT ROWID;

    -- A new row is the newest of its source: it wins unless the current best comes from a stronger source.
    -- (One upsert, no search: analysis and imports insert many predictions. \`WHERE true\` is SQLite's
    -- required separator between INSERT … SELECT and ON CONFLICT.)
    CREATE TRIGGER best_predictions_inserted AFTER INSERT ON predictions BEGIN
      INSERT INTO best_predictions (face_id, task, prediction_id, source, value, conf)
        SELECT NEW.face_id, NEW.task, NEW.id, NEW.source, ${valueOf('NEW.value')}, ${confOf('NEW.value')}
        WHERE true
        ON CONFLICT (face_id, task) DO UPDATE SET prediction_id = excluded.prediction_id,
          source = excluded.source, value = excluded.value, conf = excluded.conf
        WHERE ${rank('excluded.source')} <= ${rank('best_predictions.source')};
    END;
    CREATE TRIGGER best_predictions_updated AFTER UPDATE OF face_id, task, source, value ON predictions BEGIN
      ${refresh('OLD.face_id', 'OLD.task')}
      ${refresh('NEW.face_id', 'NEW.task')}
    END;
    -- Only the deletion of the best row changes anything (re-analysis deletes many rows that are not).
    CREATE TRIGGER best_predictions_deleted AFTER DELETE ON predictions
    WHEN OLD.id = (SELECT prediction_id FROM best_predictions WHERE face_id = OLD.face_id AND task = OLD.task)
    BEGIN
      ${refresh('OLD.face_id', 'OLD.task')}
    END;

    INSERT INTO best_predictions (face_id, task, prediction_id, source, value, conf)
      SELECT p.face_id, p.task, p.id, p.source, ${valueOf('p.value')}, ${confOf('p.value')}
      FROM (SELECT DISTINCT face_id, task FROM predictions) t
      JOIN predictions p ON p.id = ${best('t.face_id', 't.task')};
    CREATE INDEX best_predictions_value ON best_predictions(task, value);
    CREATE INDEX best_predictions_conf ON best_predictions(task, conf);
  `);
}
