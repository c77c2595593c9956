// Faces and everything the pipeline stores per face: predictions, masks, embeddings (model outputs only).
import type { Db as Database } from '../db-types';
import type { FaceSummary, ReviewStatus } from '../../../shared/api';
import { createFaceMerger, mergeDuplicateFaces, type MergeOptions } from './face-merge';

export interface FaceQuery {
  datasetId: number;
  imageId?: number;
  review?: ReviewStatus;
  hasViolations?: boolean;
  ruleKey?: string;
  cursor?: number;
  limit?: number;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface FaceRow extends Box {
  id: number;
  imageId: number;
  idx: number;
  detScore: number | null;
  source: 'detected' | 'imported';
}

export interface PredictionInput {
  modelId: string;
  modelVersion: string;
  task: string;
  source: 'model' | 'derived' | 'learned' | 'import';
  value: unknown;
}

export interface PredictionRecord extends PredictionInput {
  id: number;
  faceId: number;
  createdAt: number;
}

export interface MaskAreasRecord {
  /** Classes the mask's source can express (others are unknown, not absent). */
  classes: string[];
  /** Share of the face region per class. */
  fraction: Record<string, number>;
}

export interface MaskRecord {
  faceId: number;
  source: 'derived' | 'model' | 'import' | 'human';
  version: number;
  png: Buffer;
  box: Box;
  areas: MaskAreasRecord | null;
  createdAt: number;
}

/** Which mask rules and the review screen read first: a person's edit, then an import, a model, a derivation. */
export const MASK_PRECEDENCE = ['human', 'import', 'model', 'derived'] as const;

const faceCols = `id, image_id AS imageId, idx, x, y, w, h, det_score AS detScore, source`;

export function createFacesRepository(db: Database) {
  const insertFace = db.prepare(`INSERT INTO faces (image_id, idx, x, y, w, h, det_score, landmarks, source)
    VALUES (@imageId, @idx, @x, @y, @w, @h, @detScore, @landmarks, @source) RETURNING id`);
  const updateFace = db.prepare(`UPDATE faces SET x = @x, y = @y, w = @w, h = @h, det_score = @detScore,
    landmarks = @landmarks WHERE id = @id`);
  const byImage = db.prepare(`SELECT ${faceCols} FROM faces WHERE image_id = ? ORDER BY idx`);
  const byId = db.prepare(`SELECT ${faceCols} FROM faces WHERE id = ?`);
  const landmarks = db.prepare(`SELECT landmarks FROM faces WHERE id = ?`).pluck();
  const deleteFace = db.prepare(`DELETE FROM faces WHERE id = ?`);
  const maxIdx = db.prepare(`SELECT coalesce(max(idx), -1) FROM faces WHERE image_id = ?`).pluck();
  // A face someone worked on (labels, human masks, reviews) is never deleted by re-analysis.
  const touched = db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM labels WHERE face_id = @id) OR EXISTS (SELECT 1 FROM masks
         WHERE face_id = @id AND source IN ('human', 'import')) OR EXISTS (SELECT 1 FROM reviews
         WHERE face_id = @id AND status != 'unreviewed')`,
    )
    .pluck();
  const insertPrediction = db.prepare(`INSERT INTO predictions
      (face_id, model_id, model_version, task, source, value, created_at)
    VALUES (@faceId, @modelId, @modelVersion, @task, @source, @value, @at)`);
  const deleteModelPredictions = db.prepare(
    `DELETE FROM predictions WHERE face_id = ? AND source IN ('model', 'derived')`,
  );
  const predictions = db.prepare(`SELECT id, face_id AS faceId, model_id AS modelId,
      model_version AS modelVersion, task, source, value, created_at AS createdAt
    FROM predictions WHERE face_id = ? ORDER BY task, id`);
  const deleteMasks = db.prepare(`DELETE FROM masks WHERE face_id = ? AND source IN ('derived', 'model')`);
  const insertMask = db.prepare(`INSERT INTO masks (face_id, source, version, png, box, areas, created_at)
    VALUES (@faceId, @source, @version, @png, @box, @areas, @at)`);
  const maxMaskVersion = db
    .prepare(`SELECT coalesce(max(version), 0) FROM masks WHERE face_id = ? AND source = ?`)
    .pluck();
  const masks =
    db.prepare(`SELECT face_id AS faceId, source, version, png, box, areas, created_at AS createdAt
    FROM masks WHERE face_id = ? ORDER BY version DESC`);
  const bestAreas = db.prepare(`SELECT source, areas FROM masks WHERE face_id = ? AND areas IS NOT NULL
    ORDER BY CASE source WHEN 'human' THEN 0 WHEN 'import' THEN 1 WHEN 'model' THEN 2 ELSE 3 END, version DESC
    LIMIT 1`);
  const upsertEmbedding = db.prepare(`INSERT INTO embeddings (face_id, model_id, vector) VALUES (?, ?, ?)
    ON CONFLICT (face_id, model_id) DO UPDATE SET vector = excluded.vector`);
  const embeddings = db.prepare(`SELECT model_id AS modelId, vector FROM embeddings WHERE face_id = ?`);

  const summaryCols = `f.id, f.image_id AS imageId, i.dataset_id AS datasetId, i.rel_path AS relPath, f.idx,
    f.x, f.y, f.w, f.h, f.det_score AS detScore, f.source, coalesce(r.status, 'unreviewed') AS review,
    (SELECT count(*) FROM violations v WHERE v.face_id = f.id) AS violations,
    (SELECT count(*) FROM violations v JOIN rules ru ON ru.id = v.rule_id
      WHERE v.face_id = f.id AND ru.severity = 'error') AS errors`;
  const summaryFrom = `FROM faces f JOIN images i ON i.id = f.image_id LEFT JOIN reviews r ON r.face_id = f.id`;
  const summaryWhere = `i.dataset_id = @datasetId AND (@imageId IS NULL OR f.image_id = @imageId)
    AND (@review IS NULL OR coalesce(r.status, 'unreviewed') = @review)
    AND (@hasViolations IS NULL OR EXISTS (SELECT 1 FROM violations v WHERE v.face_id = f.id) = @hasViolations)
    AND (@ruleKey IS NULL OR EXISTS (SELECT 1 FROM violations v JOIN rules ru ON ru.id = v.rule_id
      WHERE v.face_id = f.id AND ru.key = @ruleKey))`;
  const summaryPage = db.prepare(`SELECT ${summaryCols} ${summaryFrom}
    WHERE ${summaryWhere} AND f.id > @cursor ORDER BY f.id LIMIT @limit`);
  const summaryCount = db.prepare(`SELECT count(*) ${summaryFrom} WHERE ${summaryWhere}`).pluck();
  const summaryOne = db.prepare(`SELECT ${summaryCols}, i.width AS imageWidth, i.height AS imageHeight
    ${summaryFrom} WHERE f.id = ?`);
  const idsOfDataset = db
    .prepare(
      `SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ? ORDER BY f.id`,
    )
    .pluck();
  const idsInRange = db
    .prepare(
      `SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id
      WHERE i.dataset_id = ? AND f.id BETWEEN ? AND ? ORDER BY f.id`,
    )
    .pluck();
  const datasetPredictions = db.prepare(`SELECT p.face_id AS faceId, p.task, p.value FROM predictions p
    JOIN faces f ON f.id = p.face_id JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ? ORDER BY p.face_id`);
  const setReview = db.prepare(`INSERT INTO reviews (face_id, status, at) VALUES (?, ?, ?)
    ON CONFLICT (face_id) DO UPDATE SET status = excluded.status, at = excluded.at`);

  const merge = createFaceMerger(db);

  type SummaryRow = Omit<FaceSummary, 'box'> & Box;
  const toSummary = ({ x, y, w, h, ...rest }: SummaryRow): FaceSummary => ({ ...rest, box: { x, y, w, h } });

  return {
    /** A page of face summaries; the filters are all optional. */
    page(q: FaceQuery): { items: FaceSummary[]; total: number; nextCursor: number | null } {
      const limit = q.limit ?? 200;
      const params = {
        datasetId: q.datasetId,
        imageId: q.imageId ?? null,
        review: q.review ?? null,
        hasViolations: q.hasViolations === undefined ? null : q.hasViolations ? 1 : 0,
        ruleKey: q.ruleKey ?? null,
        cursor: q.cursor ?? 0,
        limit,
      };
      const items = (summaryPage.all(params) as SummaryRow[]).map(toSummary);
      const last = items.at(-1);
      return {
        items,
        total: summaryCount.get(params) as number,
        nextCursor: items.length === limit && last ? last.id : null,
      };
    },
    summary(
      id: number,
    ): (FaceSummary & { imageWidth: number | null; imageHeight: number | null }) | undefined {
      const row = summaryOne.get(id) as
        (SummaryRow & { imageWidth: number | null; imageHeight: number | null }) | undefined;
      return row && { ...toSummary(row), imageWidth: row.imageWidth, imageHeight: row.imageHeight };
    },
    /** Every prediction of a dataset, grouped by face id (ordered). */
    *iteratePredictions(datasetId: number): Generator<{ faceId: number; task: string; value: unknown }> {
      for (const r of datasetPredictions.iterate(datasetId) as Iterable<{
        faceId: number;
        task: string;
        value: string;
      }>) {
        yield { faceId: r.faceId, task: r.task, value: JSON.parse(r.value) as unknown };
      }
    },
    idsOfDataset(datasetId: number): number[] {
      return idsOfDataset.all(datasetId) as number[];
    },
    idsInRange(datasetId: number, first: number, last: number): number[] {
      return idsInRange.all(datasetId, first, last) as number[];
    },
    setReview(faceId: number, status: ReviewStatus, at = Date.now()): void {
      setReview.run(faceId, status, at);
    },
    insert(f: Omit<FaceRow, 'id'> & { landmarks: Float32Array | null }): number {
      const lm = f.landmarks
        ? Buffer.from(f.landmarks.buffer, f.landmarks.byteOffset, f.landmarks.byteLength)
        : null;
      return (insertFace.get({ ...f, landmarks: lm }) as { id: number }).id;
    },
    updateGeometry(id: number, box: Box, detScore: number | null, lm: Float32Array | null): void {
      const landmarksBlob = lm ? Buffer.from(lm.buffer, lm.byteOffset, lm.byteLength) : null;
      updateFace.run({ id, ...box, detScore, landmarks: landmarksBlob });
    },
    byImage(imageId: number): FaceRow[] {
      return byImage.all(imageId) as FaceRow[];
    },
    get(id: number): FaceRow | undefined {
      return byId.get(id) as FaceRow | undefined;
    },
    landmarks(id: number): Float32Array | null {
      const blob = landmarks.get(id) as Buffer | null | undefined;
      if (!blob) return null;
      const copy = new Uint8Array(blob);
      return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
    },
    nextIdx(imageId: number): number {
      return (maxIdx.get(imageId) as number) + 1;
    },
    isTouched(id: number): boolean {
      return touched.get({ id }) === 1;
    },
    delete(id: number): void {
      deleteFace.run(id);
    },
    /** `drop` becomes part of `keep` (its detection, outputs and human work; face-merge.ts) and is deleted. */
    merge(keep: number, drop: number, opts: MergeOptions): void {
      merge([{ keep, drop, ...opts }]);
    },
    /**
     * Merges the detections that duplicate an imported face into it, in a dataset (or one image of it); returns
     * the kept faces' ids (their violations are the caller's to re-check).
     */
    mergeDuplicates(datasetId: number, imageId?: number): number[] {
      return mergeDuplicateFaces(db, datasetId, imageId);
    },
    /** Replaces a face's model / derived outputs; human and imported data stay. */
    replaceModelOutputs(
      faceId: number,
      out: {
        predictions: PredictionInput[];
        mask: { source: 'derived' | 'model'; png: Buffer; box: Box; areas: MaskAreasRecord | null } | null;
        embeddings: { modelId: string; vector: Float32Array }[];
      },
      at = Date.now(),
    ): void {
      deleteModelPredictions.run(faceId);
      for (const p of out.predictions)
        insertPrediction.run({ ...p, faceId, value: JSON.stringify(p.value), at });
      deleteMasks.run(faceId);
      if (out.mask) {
        insertMask.run({
          faceId,
          source: out.mask.source,
          version: 1,
          png: out.mask.png,
          box: JSON.stringify(out.mask.box),
          areas: out.mask.areas && JSON.stringify(out.mask.areas),
          at,
        });
      }
      for (const e of out.embeddings) {
        upsertEmbedding.run(
          faceId,
          e.modelId,
          Buffer.from(e.vector.buffer, e.vector.byteOffset, e.vector.byteLength),
        );
      }
    },
    predictions(faceId: number): PredictionRecord[] {
      return (predictions.all(faceId) as (Omit<PredictionRecord, 'value'> & { value: string })[]).map(
        (r) => ({
          ...r,
          value: JSON.parse(r.value) as unknown,
        }),
      );
    },
    masks(faceId: number): MaskRecord[] {
      return (
        masks.all(faceId) as (Omit<MaskRecord, 'box' | 'areas'> & { box: string; areas: string | null })[]
      ).map((m) => ({
        ...m,
        box: JSON.parse(m.box) as Box,
        areas: m.areas ? (JSON.parse(m.areas) as MaskAreasRecord) : null,
      }));
    },
    /** A new version of a human or imported mask; earlier versions are kept. Returns the version. */
    addMask(
      faceId: number,
      m: { source: 'human' | 'import'; png: Buffer; box: Box; areas: MaskAreasRecord | null },
    ): number {
      const version = (maxMaskVersion.get(faceId, m.source) as number) + 1;
      insertMask.run({
        faceId,
        source: m.source,
        version,
        png: m.png,
        box: JSON.stringify(m.box),
        areas: m.areas && JSON.stringify(m.areas),
        at: Date.now(),
      });
      return version;
    },
    /** Areas of the mask rules read (MASK_PRECEDENCE), or null when the face has none. */
    bestAreas(faceId: number): (MaskAreasRecord & { source: MaskRecord['source'] }) | null {
      const row = bestAreas.get(faceId) as { source: MaskRecord['source']; areas: string } | undefined;
      return row ? { ...(JSON.parse(row.areas) as MaskAreasRecord), source: row.source } : null;
    },
    embeddings(faceId: number): { modelId: string; vector: Float32Array }[] {
      return (embeddings.all(faceId) as { modelId: string; vector: Buffer }[]).map((e) => {
        const copy = new Uint8Array(e.vector);
        return { modelId: e.modelId, vector: new Float32Array(copy.buffer, 0, copy.byteLength / 4) };
      });
    },
  };
}
export type FacesRepository = ReturnType<typeof createFacesRepository>;
