// Migration 0007: databases that analysis left with a detection beside each imported face get one face again.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/main/store/db';
import { migrations } from '../../../src/main/store/migrations/index';
import { matchImported } from '../../../src/shared/face-match';
import { tempDir } from '../../helpers/fs';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A database at schema 6 (before the merge), as an older app left it. */
function v6(): Database.Database {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const db = new Database(join(t.dir, 'old.db'));
  cleanups.unshift(() => db.close());
  db.pragma('foreign_keys = ON');
  for (const m of migrations.filter((m) => m.version <= 6)) m.up(db);
  db.pragma('user_version = 6');
  return db;
}

function seed(db: Database.Database) {
  db.exec(`INSERT INTO datasets (id, name, root, created_at) VALUES (1, 'celeba', '/x', 0);
    INSERT INTO images (id, dataset_id, rel_path, width, height, status, created_at) VALUES
      (1, 1, '000001.jpg', 178, 218, 'ok', 0), (2, 1, 'group.jpg', 800, 600, 'ok', 0),
      (3, 1, 'wild.jpg', 800, 600, 'ok', 0), (4, 1, 'alone.jpg', 178, 218, 'ok', 0)`);
  const face = db.prepare(`INSERT INTO faces (id, image_id, idx, x, y, w, h, det_score, landmarks, source)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  // Image 1: an aligned crop: the imported whole-image face, and the detection analysis added beside it.
  face.run(10, 1, 0, 0, 0, 178, 218, null, null, 'imported');
  face.run(11, 1, 1, 50, 60, 80, 90, 0.9, Buffer.from([1, 2, 3, 4]), 'detected');
  // Image 2: a group photo with a whole-image import: the large central face is it, the small corner one not.
  face.run(20, 2, 0, 0, 0, 800, 600, null, null, 'imported');
  face.run(21, 2, 1, 10, 10, 40, 40, 0.8, null, 'detected');
  face.run(22, 2, 2, 330, 200, 140, 160, 0.95, null, 'detected');
  // Image 3: an imported box elsewhere than the detection: two faces.
  face.run(30, 3, 0, 10, 10, 100, 100, null, null, 'imported');
  face.run(31, 3, 1, 500, 300, 100, 100, 0.9, null, 'detected');
  // Image 4: only a detection.
  face.run(40, 4, 0, 50, 60, 80, 90, 0.9, null, 'detected');

  const label = db.prepare(
    `INSERT INTO labels (face_id, key, source, value, updated_at) VALUES (?, ?, ?, ?, ?)`,
  );
  label.run(10, 'Male', 'import', '-1', 1);
  label.run(10, 'Smiling', 'human', '1', 100);
  label.run(11, 'Smiling', 'human', '-1', 200); // the later edit of the same key wins
  label.run(11, 'Eyeglasses', 'human', '1', 150);
  const event = db.prepare(
    `INSERT INTO label_events (face_id, key, old, new, actor, at) VALUES (?, ?, ?, ?, 'r', ?)`,
  );
  event.run(10, 'Smiling', null, '1', 100);
  event.run(11, 'Eyeglasses', null, '1', 150);
  event.run(11, 'Smiling', null, '-1', 200);
  db.exec(`INSERT INTO reviews (face_id, status, at) VALUES (10, 'unreviewed', 300), (11, 'flagged', 250)`);
  const pred =
    db.prepare(`INSERT INTO predictions (face_id, model_id, model_version, task, source, value, created_at)
    VALUES (?, ?, '1', ?, ?, ?, 0)`);
  pred.run(10, 'annotations', 'identity', 'import', '{"id":7}');
  pred.run(10, 'faceres', 'gender', 'model', '{"label":"male","p":0.6}');
  pred.run(11, 'faceres', 'gender', 'model', '{"label":"female","p":0.9}');
  const mask = db.prepare(
    `INSERT INTO masks (face_id, source, version, png, box, created_at) VALUES (?, ?, ?, ?, '{}', 0)`,
  );
  mask.run(10, 'derived', 1, Buffer.from('whole'));
  mask.run(11, 'derived', 1, Buffer.from('tight'));
  mask.run(10, 'human', 1, Buffer.from('h10'));
  mask.run(11, 'human', 1, Buffer.from('h11'));
  db.prepare(`INSERT INTO embeddings (face_id, model_id, vector) VALUES (?, 'faceres', ?)`).run(
    11,
    Buffer.alloc(8, 1),
  );
}

describe('migration 0007: merge detections into the imported faces they duplicate', () => {
  it('keeps one face per real face with the detection and the human work of both', () => {
    const db = v6();
    seed(db);
    expect(migrate(db)).toBe(migrations.at(-1)!.version);

    const ids = db.prepare(`SELECT id FROM faces ORDER BY id`).pluck().all();
    expect(ids).toEqual([10, 20, 21, 30, 31, 40]);
    expect(db.prepare(`SELECT x, y, w, h, det_score AS s, source FROM faces WHERE id = 10`).get()).toEqual({
      x: 50,
      y: 60,
      w: 80,
      h: 90,
      s: 0.9,
      source: 'imported',
    });
    expect(db.prepare(`SELECT x, w FROM faces WHERE id = 20`).get()).toEqual({ x: 330, w: 140 });
    expect(db.prepare(`SELECT x, w FROM faces WHERE id = 30`).get()).toEqual({ x: 10, w: 100 });

    const labels = db
      .prepare(`SELECT key, source, value FROM labels WHERE face_id = 10 ORDER BY key, source`)
      .all();
    expect(labels).toEqual([
      { key: 'Eyeglasses', source: 'human', value: '1' },
      { key: 'Male', source: 'import', value: '-1' },
      { key: 'Smiling', source: 'human', value: '-1' },
    ]);
    // Both faces' history stays, on the kept face.
    expect(db.prepare(`SELECT count(*) FROM label_events WHERE face_id = 10`).pluck().get()).toBe(3);
    // A decided review beats "unreviewed".
    expect(db.prepare(`SELECT status FROM reviews WHERE face_id = 10`).pluck().get()).toBe('flagged');
    const preds = db
      .prepare(`SELECT task, source, value FROM predictions WHERE face_id = 10 ORDER BY task`)
      .all();
    expect(preds).toEqual([
      { task: 'gender', source: 'model', value: '{"label":"female","p":0.9}' },
      { task: 'identity', source: 'import', value: '{"id":7}' },
    ]);
    expect(
      db.prepare(`SELECT value FROM best_predictions WHERE face_id = 10 AND task = 'gender'`).pluck().get(),
    ).toBe('female');
    const masks = db
      .prepare(
        `SELECT source, version, CAST(png AS TEXT) AS png FROM masks WHERE face_id = 10 ORDER BY source, version`,
      )
      .all();
    expect(masks).toEqual([
      { source: 'derived', version: 1, png: 'tight' },
      { source: 'human', version: 1, png: 'h10' },
      { source: 'human', version: 2, png: 'h11' },
    ]);
    expect(db.prepare(`SELECT count(*) FROM embeddings WHERE face_id = 10`).pluck().get()).toBe(1);
    // The merged faces' rules are re-checked by a queued job.
    expect(db.prepare(`SELECT kind, dataset_id AS d, state FROM jobs`).all()).toEqual([
      { kind: 'reevaluate-rules', d: 1, state: 'queued' },
    ]);
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('changes nothing and queues nothing in a database without duplicates', () => {
    const db = v6();
    db.exec(`INSERT INTO datasets (id, name, root, created_at) VALUES (1, 'd', '/x', 0);
      INSERT INTO images (id, dataset_id, rel_path, width, height, status, created_at) VALUES (1, 1, 'a.jpg', 100, 100, 'ok', 0);
      INSERT INTO faces (id, image_id, idx, x, y, w, h, source) VALUES (1, 1, 0, 0, 0, 100, 100, 'imported')`);
    migrate(db);
    expect(db.prepare(`SELECT count(*) FROM faces`).pluck().get()).toBe(1);
    expect(db.prepare(`SELECT count(*) FROM jobs`).pluck().get()).toBe(0);
  });
});

describe('matchImported', () => {
  const image = { width: 800, height: 600 };
  it('pairs a boxed face with the detection that overlaps it most, one to one', () => {
    const imported = [{ x: 100, y: 100, w: 100, h: 100 }];
    const det = [
      { x: 400, y: 100, w: 100, h: 100 },
      { x: 110, y: 105, w: 90, h: 95 },
      { x: 105, y: 100, w: 100, h: 100 },
    ];
    expect(matchImported(imported, det, image)).toEqual([2]);
    expect(matchImported(imported, [det[0]!], image)).toEqual([-1]);
  });
  it('gives a whole-image face the most prominent detection, and nothing when there are two such faces', () => {
    const whole = { x: 0, y: 0, w: 800, h: 600 };
    const det = [
      { x: 0, y: 0, w: 120, h: 120 },
      { x: 350, y: 250, w: 100, h: 100 },
    ];
    expect(matchImported([whole], det, image)).toEqual([1]);
    expect(matchImported([{ x: 0, y: 0, w: 0, h: 0 }], det, image)).toEqual([1]);
    expect(matchImported([whole, whole], det, image)).toEqual([-1, -1]);
    expect(matchImported([whole], [], image)).toEqual([-1]);
  });
});
