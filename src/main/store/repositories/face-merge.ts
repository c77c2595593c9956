// Merging two rows that stand for one face (an imported face and the detection of it) into one, losing no work.
import type { Database } from 'better-sqlite3';
import { coversImage, matchImported, type MatchBox } from '../../../shared/face-match';

export interface MergeOptions {
  /** The kept face takes the dropped face's box (an imported face without a box of its own takes its detection). */
  takeBox: boolean;
}

/**
 * `merge(keep, drop)`: `keep` takes `drop`'s detection (landmarks, score, box when asked), its model, derived and
 * learned predictions, derived / model masks and embeddings (replacing its own), and every piece of human work:
 * human labels (where both have one for a key, the later edit wins; the other stays in the history), the label
 * history, human and imported mask versions (renumbered after keep's), and the review (a decided status beats
 * `unreviewed`, then the later one). Then `drop` is deleted. Violations are the caller's to re-check.
 */
export function createFaceMerger(db: Database) {
  const geometry = db.prepare(`UPDATE faces SET
      x = CASE WHEN @takeBox THEN d.x ELSE faces.x END, y = CASE WHEN @takeBox THEN d.y ELSE faces.y END,
      w = CASE WHEN @takeBox THEN d.w ELSE faces.w END, h = CASE WHEN @takeBox THEN d.h ELSE faces.h END,
      det_score = d.det_score, landmarks = d.landmarks
    FROM (SELECT x, y, w, h, det_score, landmarks FROM faces WHERE id = @drop) d WHERE faces.id = @keep`);
  const stmts = [
    `DELETE FROM predictions WHERE face_id = @keep AND source IN ('model', 'derived', 'learned')
       AND EXISTS (SELECT 1 FROM predictions WHERE face_id = @drop AND source IN ('model', 'derived', 'learned'))`,
    `UPDATE predictions SET face_id = @keep WHERE face_id = @drop AND source IN ('model', 'derived', 'learned')`,
    `DELETE FROM masks WHERE face_id = @keep AND source IN ('derived', 'model')
       AND EXISTS (SELECT 1 FROM masks WHERE face_id = @drop AND source IN ('derived', 'model'))`,
    `UPDATE masks SET face_id = @keep WHERE face_id = @drop AND source IN ('derived', 'model')`,
    `UPDATE masks SET face_id = @keep, version = version + (SELECT coalesce(max(k.version), 0) FROM masks k
       WHERE k.face_id = @keep AND k.source = masks.source) WHERE face_id = @drop AND source IN ('human', 'import')`,
    `DELETE FROM embeddings WHERE face_id = @keep AND model_id IN (SELECT model_id FROM embeddings WHERE face_id = @drop)`,
    `UPDATE embeddings SET face_id = @keep WHERE face_id = @drop`,
    // A label of both: the later edit stays on keep.
    `DELETE FROM labels WHERE face_id = @keep AND EXISTS (SELECT 1 FROM labels d WHERE d.face_id = @drop
       AND d.key = labels.key AND d.source = labels.source AND d.updated_at > labels.updated_at)`,
    `UPDATE OR IGNORE labels SET face_id = @keep WHERE face_id = @drop`,
    `UPDATE label_events SET face_id = @keep WHERE face_id = @drop`,
    `DELETE FROM reviews WHERE face_id = @keep AND EXISTS (SELECT 1 FROM reviews d WHERE d.face_id = @drop
       AND ((d.status != 'unreviewed') > (reviews.status != 'unreviewed')
         OR ((d.status != 'unreviewed') = (reviews.status != 'unreviewed') AND d.at > reviews.at)))`,
    `UPDATE OR IGNORE reviews SET face_id = @keep WHERE face_id = @drop`,
    `DELETE FROM faces WHERE id = @drop`,
  ].map((s) => db.prepare(s));
  return (keep: number, drop: number, opts: MergeOptions): void => {
    if (keep === drop) throw new RangeError(`cannot merge face ${keep} into itself`);
    geometry.run({ keep, drop, takeBox: opts.takeBox ? 1 : 0 });
    for (const s of stmts) s.run({ keep, drop });
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
  const merge = createFaceMerger(db);
  const kept: number[] = [];
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
      merge(keep.id, detected[d]!.id, { takeBox: coversImage(keep, image) });
      kept.push(keep.id);
    });
  }
  return kept;
}
