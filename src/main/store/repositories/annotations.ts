// Bulk annotation import / export queries: imported faces, import labels, splits, export rows, job reports.
import type { Database } from 'better-sqlite3';

export interface IndexedImage {
  id: number;
  relPath: string;
  width: number | null;
  height: number | null;
  status: 'ok' | 'error';
}

export interface ImportPrediction {
  task: string;
  value: unknown;
}

export interface ExportRow {
  faceId: number;
  imageId: number;
  relPath: string;
  split: string | null;
  width: number | null;
  height: number | null;
  idx: number;
  faceSource: 'detected' | 'imported';
  x: number;
  y: number;
  w: number;
  h: number;
  /** JSON array of [key, source, value]. */
  labels: string;
  review: string | null;
  /** JSON array of {task, modelId, modelVersion, source, value}. */
  predictions: string;
}

/** model_id of the predictions rows an annotation import writes (source `import`). */
export const IMPORT_MODEL_ID = 'annotations';

export function createAnnotationsRepository(db: Database) {
  const images = db.prepare(`SELECT id, rel_path AS relPath, width, height, status FROM images
    WHERE dataset_id = ? ORDER BY id`);
  const importedFaces = db
    .prepare(`SELECT id FROM faces WHERE image_id = ? AND source = 'imported' ORDER BY idx`)
    .pluck();
  const nextIdx = db.prepare(`SELECT coalesce(max(idx), -1) + 1 FROM faces WHERE image_id = ?`).pluck();
  const importedFacesOfDataset = db.prepare(`SELECT f.image_id AS imageId, f.id FROM faces f
    JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ? AND f.source = 'imported' ORDER BY f.image_id, f.idx`);
  const nextIdxOfDataset = db.prepare(`SELECT f.image_id AS imageId, max(f.idx) + 1 AS next FROM faces f
    JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ? GROUP BY f.image_id`);
  const insertFace = db.prepare(`INSERT INTO faces (image_id, idx, x, y, w, h, det_score, landmarks, source)
    VALUES (@imageId, @idx, @x, @y, @w, @h, NULL, NULL, 'imported') RETURNING id`);
  const updateBox = db.prepare(`UPDATE faces SET x = @x, y = @y, w = @w, h = @h WHERE id = @id`);
  // One plain prepared upsert per label is the fastest way in from JS. CPU seconds for 500k labels in one
  // transaction, measured here: this 1.5; one json_each statement per 2,000 labels 1.9; per face 4.7; multi-row
  // VALUES of 200 rows 3.0, of 20 rows 4.7 (SQLite runs multi-row VALUES as a co-routine).
  const setLabel = db.prepare(`INSERT INTO labels (face_id, key, source, value, updated_at)
    VALUES (?, ?, 'import', ?, ?)
    ON CONFLICT (face_id, key, source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
  const setSplit = db.prepare(`UPDATE images SET split = ? WHERE id = ?`);
  const deleteImportPredictions = db.prepare(
    `DELETE FROM predictions WHERE face_id = ? AND source = 'import' AND model_id = '${IMPORT_MODEL_ID}'`,
  );
  const insertPrediction = db.prepare(`INSERT INTO predictions
      (face_id, model_id, model_version, task, source, value, created_at)
    SELECT @faceId, '${IMPORT_MODEL_ID}', @version, j.key, 'import', json_quote(j.value), @at
    FROM json_each(@preds) j`);
  const exportRows = db.prepare(`SELECT f.id AS faceId, f.image_id AS imageId, i.rel_path AS relPath, i.split,
      i.width, i.height, f.idx, f.source AS faceSource, f.x, f.y, f.w, f.h,
      (SELECT json_group_array(json_array(l.key, l.source, l.value)) FROM labels l WHERE l.face_id = f.id)
        AS labels,
      (SELECT r.status FROM reviews r WHERE r.face_id = f.id) AS review,
      (SELECT json_group_array(json_object('task', p.task, 'modelId', p.model_id,
          'modelVersion', p.model_version, 'source', p.source, 'value', json(p.value)))
        FROM predictions p WHERE p.face_id = f.id AND (p.source = 'import' OR @predictions = 1)) AS predictions
    FROM faces f JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = @datasetId AND i.status = 'ok' AND (@reviewedOnly = 0 OR EXISTS
      (SELECT 1 FROM reviews r WHERE r.face_id = f.id AND r.status = 'reviewed'))
    ORDER BY f.id`);
  const models = db.prepare(`SELECT DISTINCT p.model_id AS modelId, p.model_version AS modelVersion
    FROM predictions p JOIN faces f ON f.id = p.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? AND p.source != 'import' ORDER BY p.model_id, p.model_version`);
  const labelsByFace = db.prepare(`SELECT f.id AS faceId,
      (SELECT json_group_array(json_array(l.key, l.source, l.value)) FROM labels l WHERE l.face_id = f.id)
        AS labels
    FROM faces f JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ? ORDER BY f.id`);
  const latestImportMask = db.prepare(`SELECT png, box FROM masks WHERE face_id = ? AND source = 'import'
    ORDER BY version DESC LIMIT 1`);
  const clearLabelViolations = db.prepare(`DELETE FROM violations WHERE face_id = ? AND subject = 'labels'`);
  const insertViolation = db.prepare(`INSERT INTO violations (face_id, rule_id, subject, detail)
    VALUES (@faceId, @ruleId, 'labels', @detail)`);
  const setReport = db.prepare(`UPDATE jobs SET params = json_set(params, '$.report', json(@report)),
    updated_at = @at WHERE id = @id`);
  const report = db.prepare(`SELECT json_extract(params, '$.report') FROM jobs WHERE id = ?`).pluck();

  return {
    images(datasetId: number): IndexedImage[] {
      return images.all(datasetId) as IndexedImage[];
    },
    /** Ids of an image's imported faces, in idx order (a re-import updates them in place). */
    importedFaces(imageId: number): number[] {
      return importedFaces.all(imageId) as number[];
    },
    /**
     * Per image of a dataset: its imported face ids in idx order, and the next free idx. One query each
     * instead of two per image (a bulk import reads them once, inside its write transaction).
     */
    faceSlots(datasetId: number): { imported: Map<number, number[]>; nextIdx: Map<number, number> } {
      const imported = new Map<number, number[]>();
      for (const r of importedFacesOfDataset.iterate(datasetId) as Iterable<{
        imageId: number;
        id: number;
      }>) {
        const list = imported.get(r.imageId);
        if (list) list.push(r.id);
        else imported.set(r.imageId, [r.id]);
      }
      const next = new Map<number, number>();
      for (const r of nextIdxOfDataset.iterate(datasetId) as Iterable<{ imageId: number; next: number }>)
        next.set(r.imageId, r.next);
      return { imported, nextIdx: next };
    },
    /** A new imported face at a given idx (the caller knows the image's next free one, see faceSlots). */
    insertFaceAt(imageId: number, idx: number, box: { x: number; y: number; w: number; h: number }): number {
      return (insertFace.get({ imageId, idx, ...box }) as { id: number }).id;
    },
    insertFace(imageId: number, box: { x: number; y: number; w: number; h: number }): number {
      const idx = nextIdx.get(imageId) as number;
      return (insertFace.get({ imageId, idx, ...box }) as { id: number }).id;
    },
    updateBox(id: number, box: { x: number; y: number; w: number; h: number }): void {
      updateBox.run({ id, ...box });
    },
    /** Upserts `import` labels (never `human` ones, never label_events); returns how many. */
    setImportLabels(faceId: number, labels: Record<string, string>, at: number): number {
      let n = 0;
      for (const key in labels) {
        setLabel.run(faceId, key, labels[key], at);
        n++;
      }
      return n;
    },
    /** The newest imported mask of a face (a re-import adds a version only when it changed). */
    latestImportMask(
      faceId: number,
    ): { png: Buffer; box: { x: number; y: number; w: number; h: number } } | null {
      const row = latestImportMask.get(faceId) as { png: Buffer; box: string } | undefined;
      return row
        ? { png: row.png, box: JSON.parse(row.box) as { x: number; y: number; w: number; h: number } }
        : null;
    },
    setSplit(imageId: number, split: string): void {
      setSplit.run(split, imageId);
    },
    /** Replaces what an annotation import kept for a face (name, identity, landmarks) as `import` predictions. */
    replaceImportPredictions(
      faceId: number,
      preds: Record<string, unknown>,
      version: string,
      at: number,
      isNew = false,
    ): void {
      if (!isNew) deleteImportPredictions.run(faceId);
      if (Object.keys(preds).length > 0)
        insertPrediction.run({ faceId, preds: JSON.stringify(preds), version, at });
    },
    *exportRows(q: { datasetId: number; reviewedOnly: boolean; predictions: boolean }): Generator<ExportRow> {
      yield* exportRows.iterate({
        datasetId: q.datasetId,
        reviewedOnly: q.reviewedOnly ? 1 : 0,
        predictions: q.predictions ? 1 : 0,
      }) as Iterable<ExportRow>;
    },
    /** Per face of a dataset, its labels as a JSON array of [key, source, value] (one row per face). */
    *labelsByFace(datasetId: number): Generator<{ faceId: number; labels: string }> {
      yield* labelsByFace.iterate(datasetId) as Iterable<{ faceId: number; labels: string }>;
    },
    models(datasetId: number): { modelId: string; modelVersion: string }[] {
      return models.all(datasetId) as { modelId: string; modelVersion: string }[];
    },
    /** Replaces a face's label-subject violations; prediction and cross ones are the analysis pass's. */
    replaceLabelViolations(faceId: number, rows: { ruleId: number; detail: unknown }[]): void {
      clearLabelViolations.run(faceId);
      for (const r of rows)
        insertViolation.run({ faceId, ruleId: r.ruleId, detail: JSON.stringify(r.detail) });
    },
    setJobReport(jobId: number, value: unknown): void {
      setReport.run({ id: jobId, report: JSON.stringify(value), at: Date.now() });
    },
    jobReport(jobId: number): unknown {
      const raw = report.get(jobId) as string | null | undefined;
      return raw ? (JSON.parse(raw) as unknown) : null;
    },
  };
}
export type AnnotationsRepository = ReturnType<typeof createAnnotationsRepository>;
