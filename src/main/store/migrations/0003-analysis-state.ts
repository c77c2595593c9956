// Which images the pipeline has analysed, and with which model versions (re-analysis touches only stale ones).
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`ALTER TABLE images ADD COLUMN analyzed_at INTEGER`);
  // sha256 of the model ids + versions + pipeline version that produced the image's faces and predictions.
  db.exec(`ALTER TABLE images ADD COLUMN analysis_key TEXT`);
  db.exec(`CREATE INDEX images_analysis ON images(dataset_id, status, analysis_key)`);
}
