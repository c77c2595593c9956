// Merging two rows that stand for one face (an imported face and the detection of it) into one, losing no work.
import type { Db as Database, Stmt as Statement } from '../db-types';
import { coversImage, matchImported, type MatchBox } from '../../../shared/face-match';

export interface MergeOptions {
  /** The kept face takes the dropped face's box (an imported face without a box of its own takes its detection). */
  takeBox: boolean;
}

export interface MergePair extends MergeOptions {
  keep: number;
  drop: number;
}

const MODEL = `('model', 'derived', 'learned')`;
/** The kept face of the dropped face a row belongs to. */
const keepOf = (col: string) => `(SELECT keep_id FROM temp.merge_pairs WHERE drop_id = ${col})`;
const DROPS = `(SELECT drop_id FROM temp.merge_pairs)`;

/**
 * `merge(pairs)`: each `keep` takes its `drop`'s detection (landmarks, score, box when asked), its model, derived
 * and learned predictions, derived / model masks and embeddings (replacing its own), and every piece of human
 * work: human labels (where both have one for a key, the later edit wins; the other stays in the history), the
 * label history, human and imported mask versions (renumbered after keep's), and the review (a decided status
 * beats `unreviewed`, then the later one). Then each `drop` is deleted. Violations are the caller's to re-check.
 * Set-based over a temp table of the pairs: migration 0007 merges a whole database's pairs in one pass.
 */
export function createFaceMerger(db: Database) {
  let stmts: Statement[] | null = null;
  const prepare = (): Statement[] => {
    const int = db.dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS merge_pairs (drop_id ${int} PRIMARY KEY,
      keep_id ${int} NOT NULL UNIQUE, take_box INTEGER NOT NULL)`);
    return [
      `UPDATE faces SET x = CASE WHEN m.take_box = 1 THEN m.x ELSE faces.x END,
         y = CASE WHEN m.take_box = 1 THEN m.y ELSE faces.y END,
         w = CASE WHEN m.take_box = 1 THEN m.w ELSE faces.w END,
         h = CASE WHEN m.take_box = 1 THEN m.h ELSE faces.h END, det_score = m.det_score, landmarks = m.landmarks
       FROM (SELECT p.keep_id, p.take_box, d.x, d.y, d.w, d.h, d.det_score, d.landmarks
         FROM temp.merge_pairs p JOIN faces d ON d.id = p.drop_id) m WHERE faces.id = m.keep_id`,
      // Copies, then the kept face's own rows: the best_predictions triggers then do one upsert per copy and no
      // refresh for rows that are no longer best (moving rows with UPDATE refreshes twice per row: 2x slower).
      `INSERT INTO predictions (face_id, model_id, model_version, task, source, value, created_at)
       SELECT p.keep_id, q.model_id, q.model_version, q.task, q.source, q.value, q.created_at
       FROM temp.merge_pairs p JOIN predictions q ON q.face_id = p.drop_id
       WHERE q.source IN ${MODEL} ORDER BY q.id`,
      `DELETE FROM predictions WHERE source IN ${MODEL} AND id <= @before AND face_id IN (SELECT p.keep_id
         FROM temp.merge_pairs p WHERE EXISTS (SELECT 1 FROM predictions q WHERE q.face_id = p.drop_id
         AND q.source IN ${MODEL}))`,
      `DELETE FROM predictions WHERE face_id IN ${DROPS} AND source IN ${MODEL}`,
      `DELETE FROM masks WHERE source IN ('derived', 'model') AND face_id IN (SELECT p.keep_id
         FROM temp.merge_pairs p WHERE EXISTS (SELECT 1 FROM masks q WHERE q.face_id = p.drop_id
         AND q.source IN ('derived', 'model')))`,
      `UPDATE masks SET face_id = ${keepOf('masks.face_id')} WHERE face_id IN ${DROPS}
         AND source IN ('derived', 'model')`,
      `UPDATE masks SET face_id = ${keepOf('masks.face_id')}, version = version + (SELECT coalesce(max(k.version), 0)
         FROM masks k WHERE k.face_id = ${keepOf('masks.face_id')} AND k.source = masks.source)
       WHERE face_id IN ${DROPS} AND source IN ('human', 'import')`,
      `DELETE FROM embeddings WHERE (face_id, model_id) IN (SELECT p.keep_id, e.model_id
         FROM temp.merge_pairs p JOIN embeddings e ON e.face_id = p.drop_id)`,
      `UPDATE embeddings SET face_id = ${keepOf('embeddings.face_id')} WHERE face_id IN ${DROPS}`,
      // A label of both: the later edit stays on keep.
      `DELETE FROM labels WHERE (face_id, key, source) IN (SELECT p.keep_id, d.key, d.source
         FROM temp.merge_pairs p JOIN labels d ON d.face_id = p.drop_id JOIN labels k ON k.face_id = p.keep_id
           AND k.key = d.key AND k.source = d.source WHERE d.updated_at > k.updated_at)`,
      // Where keep has the same (key, source) the drop's row stays and goes with the drop (UPDATE OR IGNORE).
      `UPDATE labels SET face_id = ${keepOf('labels.face_id')} WHERE face_id IN ${DROPS}
         AND NOT EXISTS (SELECT 1 FROM labels k WHERE k.face_id = ${keepOf('labels.face_id')}
           AND k.key = labels.key AND k.source = labels.source)`,
      `UPDATE label_events SET face_id = ${keepOf('label_events.face_id')} WHERE face_id IN ${DROPS}`,
      `DELETE FROM reviews WHERE face_id IN (SELECT p.keep_id FROM temp.merge_pairs p
         JOIN reviews d ON d.face_id = p.drop_id JOIN reviews k ON k.face_id = p.keep_id
         WHERE (d.status != 'unreviewed') > (k.status != 'unreviewed')
           OR ((d.status != 'unreviewed') = (k.status != 'unreviewed') AND d.at > k.at))`,
      `UPDATE reviews SET face_id = ${keepOf('reviews.face_id')} WHERE face_id IN ${DROPS}
         AND NOT EXISTS (SELECT 1 FROM reviews k WHERE k.face_id = ${keepOf('reviews.face_id')})`,
      `DELETE FROM faces WHERE id IN ${DROPS}`,
      `DELETE FROM temp.merge_pairs`,
    ].map((sql) => db.prepare(sql));
  };
  return (pairs: readonly MergePair[]): void => {
    if (pairs.length === 0) return;
    const ids = new Set<number>();
    for (const p of pairs) {
      for (const id of [p.keep, p.drop]) {
        if (ids.has(id)) throw new RangeError(`face ${id} appears in two merges`);
        ids.add(id);
      }
    }
    stmts ??= prepare();
    const insert = db.prepare(`INSERT INTO temp.merge_pairs (drop_id, keep_id, take_box) VALUES (?, ?, ?)`);
    for (const p of pairs) insert.run(p.drop, p.keep, p.takeBox ? 1 : 0);
    const before = (db.prepare(`SELECT coalesce(max(id), 0) FROM predictions`).pluck().get() as number) ?? 0;
    for (const s of stmts) {
      if (s.source.includes('@before')) s.run({ before });
      else s.run();
    }
  };
}

interface FaceBoxRow extends MatchBox {
  id: number;
  imageId: number;
  source: 'detected' | 'imported';
  width: number | null;
  height: number | null;
}

/**
 * Merges every detected face that duplicates an imported face of the same image (matchImported: overlap, or
 * the most prominent detection for an imported face without a box of its own) into the imported face; the
 * detection's box replaces a whole-image box. `datasetId` null: every dataset. Returns the kept faces' ids.
 */
export function mergeDuplicateFaces(db: Database, datasetId: number | null, imageId?: number): number[] {
  const rows = db
    .prepare(
      `SELECT f.id, f.image_id AS imageId, f.source, f.x, f.y, f.w, f.h, i.width, i.height
       FROM faces f JOIN images i ON i.id = f.image_id
       WHERE (@datasetId IS NULL OR i.dataset_id = @datasetId) AND (@imageId IS NULL OR f.image_id = @imageId)
         AND f.image_id IN (SELECT image_id FROM faces WHERE source = 'imported')
         AND f.image_id IN (SELECT image_id FROM faces WHERE source = 'detected')
       ORDER BY f.image_id, f.idx`,
    )
    .all({ datasetId, imageId: imageId ?? null }) as FaceBoxRow[];
  const pairs: MergePair[] = [];
  for (let s = 0; s < rows.length;) {
    let e = s;
    while (e < rows.length && rows[e]!.imageId === rows[s]!.imageId) e++;
    const group = rows.slice(s, e);
    s = e;
    const imported = group.filter((f) => f.source === 'imported');
    const detected = group.filter((f) => f.source === 'detected');
    if (imported.length === 0 || detected.length === 0) continue;
    const image = { width: group[0]!.width, height: group[0]!.height };
    matchImported(imported, detected, image).forEach((d, i) => {
      if (d < 0) return;
      const keep = imported[i]!;
      pairs.push({ keep: keep.id, drop: detected[d]!.id, takeBox: coversImage(keep, image) });
    });
  }
  createFaceMerger(db)(pairs);
  return pairs.map((p) => p.keep);
}
