// Masks carry their per-class area fractions so rules can read them inside a synchronous edit transaction.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  // JSON {"classes": [...expressible classes], "fraction": {class: share of the face region}}.
  db.exec(`ALTER TABLE masks ADD COLUMN areas TEXT`);
  db.exec(`CREATE INDEX faces_image ON faces(image_id)`);
}
