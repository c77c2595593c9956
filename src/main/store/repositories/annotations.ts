// Bulk annotation import / export queries: imported faces, import labels, splits, export rows, job reports.
import type { Db as Database, Stmt as Statement } from '../db-types';

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

export interface ImportLabelWriter {
  /**
   * Queues a face's `import` labels (never `human` ones, never label_events) and returns how many; queued
   * faces are written in batches, the rest by flush().
   */
  set(faceId: number, labels: Record<string, string>): number;
  /** Writes every queued label; call it before the transaction ends. */
  flush(): void;
}

export interface ImportPredictionWriter {
  /** Deletes the face's earlier import predictions (unless it is new) and queues `preds` (task -> value). */
  replace(faceId: number, preds: Record<string, unknown>, isNew: boolean): void;
  /** Writes every queued prediction; call it before the transaction ends. */
  flush(): void;
}

/** Faces per prediction insert of a bulk import. */
const PREDICTION_BATCH = 50;

/** Rows per statement at most; distinct key lists kept as statements before falling back to single rows. */
const MAX_ROWS = 2000;
const MAX_KEY_LISTS = 32;

interface KeyList {
  sig: string;
  keys: string[];
  /** One face's rows; and `batch` faces' rows (prepared when a batch first fills). */
  one: Statement;
  many?: Statement;
  batch: number;
}

/**
 * Multi-row upserts: the keys and the timestamp are literals of the statement, face ids and values its
 * parameters (2 per row), one statement per key list (a CelebA file has one) and per batch of up to 2,000
 * rows, i.e. 50 CelebA faces. CPU seconds for CelebA's 8.1 million labels in one transaction, measured here:
 * one prepared single-row upsert per label 16.2; one 40-row statement per face 7.3; batches of 50 faces 7.6;
 * an INSERT … SELECT of constant rows (SQLite's own floor) 7.7. Batches cost ~3% on a bare `labels` but
 * less than half when AFTER INSERT triggers on `labels` write other tables (SQLite copies each page a
 * statement first touches into its statement journal, once per statement: 22 -> 9 µs a label with the
 * gallery-summary triggers a draft of migration 0006 had).
 */
function importLabelWriter(
  db: Database,
  at: number,
  fallback: (faceId: number, labels: Record<string, string>) => number,
): ImportLabelWriter {
  if (!Number.isSafeInteger(at)) throw new RangeError(`label timestamp ${at} is not an integer`);
  const lists = new Map<string, KeyList>();
  const upsert = (keys: readonly string[], faces: number) => {
    const row = keys.map((k) => `(?, '${k.replaceAll("'", "''")}', 'import', ?, ${at})`).join(', ');
    return db.prepare(`INSERT INTO labels (face_id, key, source, value, updated_at)
      VALUES ${Array.from({ length: faces }, () => row).join(', ')}
      ON CONFLICT (face_id, key, source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
  };
  const listFor = (keys: string[]): KeyList | undefined => {
    const sig = keys.join('\u0000');
    let list = lists.get(sig);
    if (!list && lists.size < MAX_KEY_LISTS) {
      const batch = Math.max(1, Math.floor(MAX_ROWS / keys.length));
      list = { sig, keys, one: upsert(keys, 1), batch };
      lists.set(sig, list);
    }
    return list;
  };
  let queued: KeyList | null = null;
  let faces = 0;
  const args: unknown[] = [];
  const flush = () => {
    if (queued) {
      const width = queued.keys.length * 2;
      for (let i = 0; i < faces; i++) queued.one.run(args.slice(i * width, (i + 1) * width));
    }
    queued = null;
    faces = 0;
    args.length = 0;
  };
  return {
    set(faceId, labels) {
      const keys = Object.keys(labels);
      if (keys.length === 0) return 0;
      const list = keys.length <= MAX_ROWS ? listFor(keys) : undefined;
      if (list !== queued) flush();
      if (!list) return fallback(faceId, labels);
      queued = list;
      for (const k of keys) args.push(faceId, labels[k]);
      if (++faces === list.batch) {
        list.many ??= upsert(list.keys, list.batch);
        list.many.run(args);
        faces = 0;
        args.length = 0;
      }
      return keys.length;
    },
    flush,
  };
}

/**
 * A JSON array aggregate of a correlated subquery's rows ('[]' for none), in `order`: SQLite's json_group_array
 * follows the scan order (the labels primary key), PostgreSQL's json_agg needs the order spelled out.
 */
function jsonArrayOf(db: Database, element: string, from: string, order: string): string {
  return db.dialect === 'postgres'
    ? `(SELECT coalesce(json_agg(${element} ORDER BY ${order}), '[]') ${from})`
    : `(SELECT json_group_array(${element}) ${from})`;
}

export function createAnnotationsRepository(db: Database) {
  const pg = db.dialect === 'postgres';
  const labelArray = jsonArrayOf(
    db,
    pg ? 'json_build_array(l.key, l.source, l.value)' : 'json_array(l.key, l.source, l.value)',
    'FROM labels l WHERE l.face_id = f.id',
    'l.key, l.source',
  );
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
  // One row at a time: the fallback of importLabels for key sets it has no statement for.
  const setLabel = db.prepare(`INSERT INTO labels (face_id, key, source, value, updated_at)
    VALUES (?, ?, 'import', ?, ?)
    ON CONFLICT (face_id, key, source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
  const setSplit = db.prepare(`UPDATE images SET split = ? WHERE id = ?`);
  const deleteImportPredictions = db.prepare(
    `DELETE FROM predictions WHERE face_id = ? AND source = 'import' AND model_id = '${IMPORT_MODEL_ID}'`,
  );
  // A batch of faces' import predictions: @batch is a JSON array of [faceId, {task: value}].
  // PostgreSQL: json (not jsonb) keeps each object's key order and text, so ids follow the same order as SQLite's.
  const insertPredictions = db.prepare(
    pg
      ? `INSERT INTO predictions (face_id, model_id, model_version, task, source, value, created_at)
    SELECT CAST(f.value ->> 0 AS bigint), '${IMPORT_MODEL_ID}', @version, j.key, 'import', CAST(j.value AS text), @at
    FROM json_array_elements(CAST(@batch AS json)) WITH ORDINALITY f(value, n),
      json_each(CAST(f.value -> 1 AS json)) WITH ORDINALITY j(key, value, m)
    ORDER BY f.n, j.m`
      : `INSERT INTO predictions
      (face_id, model_id, model_version, task, source, value, created_at)
    SELECT f.value ->> 0, '${IMPORT_MODEL_ID}', @version, j.key, 'import', json_quote(j.value), @at
    FROM json_each(@batch) f, json_each(f.value, '$[1]') j`,
  );
  const exportRows = db.prepare(`SELECT f.id AS faceId, f.image_id AS imageId, i.rel_path AS relPath, i.split,
      i.width, i.height, f.idx, f.source AS faceSource, f.x, f.y, f.w, f.h,
      ${labelArray} AS labels,
      (SELECT r.status FROM reviews r WHERE r.face_id = f.id) AS review,
      ${jsonArrayOf(
        db,
        pg
          ? `json_build_object('task', p.task, 'modelId', p.model_id, 'modelVersion', p.model_version,
            'source', p.source, 'value', CAST(p.value AS json))`
          : `json_object('task', p.task, 'modelId', p.model_id,
          'modelVersion', p.model_version, 'source', p.source, 'value', json(p.value))`,
        `FROM predictions p WHERE p.face_id = f.id AND (p.source = 'import' OR @predictions = 1)`,
        'p.task, p.id',
      )} AS predictions
    FROM faces f JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = @datasetId AND i.status = 'ok' AND (@reviewedOnly = 0 OR EXISTS
      (SELECT 1 FROM reviews r WHERE r.face_id = f.id AND r.status = 'reviewed'))
    ORDER BY f.id`);
  const models = db.prepare(`SELECT DISTINCT p.model_id AS modelId, p.model_version AS modelVersion
    FROM predictions p JOIN faces f ON f.id = p.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? AND p.source != 'import' ORDER BY p.model_id, p.model_version`);
  const labelsByFace = db.prepare(`SELECT f.id AS faceId, ${labelArray} AS labels
    FROM faces f JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ? ORDER BY f.id`);
  const latestImportMask = db.prepare(`SELECT png, box FROM masks WHERE face_id = ? AND source = 'import'
    ORDER BY version DESC LIMIT 1`);
  const clearLabelViolations = db.prepare(`DELETE FROM violations WHERE face_id = ? AND subject = 'labels'`);
  const insertViolation = db.prepare(`INSERT INTO violations (face_id, rule_id, subject, detail)
    VALUES (@faceId, @ruleId, 'labels', @detail)`);
  const setReport = db.prepare(
    pg
      ? `UPDATE jobs SET params = CAST(jsonb_set(CAST(params AS jsonb), '{report}', CAST(@report AS jsonb)) AS text),
    updated_at = @at WHERE id = @id`
      : `UPDATE jobs SET params = json_set(params, '$.report', json(@report)),
    updated_at = @at WHERE id = @id`,
  );
  const report = db
    .prepare(
      pg
        ? `SELECT CAST(params AS json) -> 'report' FROM jobs WHERE id = ?`
        : `SELECT json_extract(params, '$.report') FROM jobs WHERE id = ?`,
    )
    .pluck();
  /** Upserts `import` labels (never `human` ones, never label_events) one row at a time; returns how many. */
  const setImportLabels = (faceId: number, labels: Record<string, string>, at: number): number => {
    let n = 0;
    for (const key in labels) {
      setLabel.run(faceId, key, labels[key], at);
      n++;
    }
    return n;
  };

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
    /** A writer of `import` labels for one bulk import: multi-row upserts (see importLabelWriter). */
    importLabels(at: number): ImportLabelWriter {
      return importLabelWriter(db, at, (faceId, labels) => setImportLabels(faceId, labels, at));
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
    /**
     * Replaces what an annotation import kept per face (name, identity, landmarks) as `import` predictions:
     * deletes at once, inserts 50 faces per statement (with the triggers on predictions: 0.3 CPU s instead of
     * 4.0 per 50,000 CelebA faces of 3 rows each; statement journal pages once per batch, not per face).
     */
    importPredictions(version: string, at: number): ImportPredictionWriter {
      let batch: [number, Record<string, unknown>][] = [];
      const queued = new Set<number>();
      const flush = () => {
        if (batch.length > 0) insertPredictions.run({ batch: JSON.stringify(batch), version, at });
        batch = [];
        queued.clear();
      };
      return {
        replace(faceId, preds, isNew) {
          // A face named twice in one import (two names for one image): the later one replaces the earlier.
          if (queued.has(faceId)) flush();
          if (!isNew) deleteImportPredictions.run(faceId);
          if (Object.keys(preds).length === 0) return;
          batch.push([faceId, preds]);
          queued.add(faceId);
          if (batch.length === PREDICTION_BATCH) flush();
        },
        flush,
      };
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
