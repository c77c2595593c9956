// One face per real face: merges the detections that analysis added beside imported faces (issue #26.1).
import type { Database } from 'better-sqlite3';
import { mergeDuplicateFaces } from '../repositories/face-merge';

/**
 * Before this version, analysing an imported face without a box of its own (aligned crops: CelebA, UTKFace) left
 * the detection of the same face beside it. Each such pair becomes the imported face, with the detection's box and
 * outputs and the human work of both (face-merge.ts). The merged faces' violations are re-checked by a
 * `reevaluate-rules` job queued per dataset (the rule engine lives outside the store).
 */
export function up(db: Database): void {
  const kept = mergeDuplicateFaces(db, null);
  if (kept.length === 0) return;
  const datasets = db
    .prepare(
      `SELECT DISTINCT i.dataset_id FROM faces f JOIN images i ON i.id = f.image_id
       WHERE f.id IN (SELECT value FROM json_each(?))`,
    )
    .pluck()
    .all(JSON.stringify(kept)) as number[];
  const now = Date.now();
  const queue = db.prepare(`INSERT INTO jobs (kind, dataset_id, params, state, created_at, updated_at)
    VALUES ('reevaluate-rules', ?, '{}', 'queued', ?, ?)`);
  for (const id of datasets) queue.run(id, now, now);
}
