// A dataset's "images are face crops" mode (issue #28.1): 'on' pads each image before detection and keeps one face
// (the whole image where nothing passes), 'off' analyses images as photos, 'auto' decides from the images' sizes.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(
    `ALTER TABLE datasets ADD COLUMN face_crops TEXT NOT NULL DEFAULT 'auto' CHECK (face_crops IN ('auto', 'on', 'off'))`,
  );
}
