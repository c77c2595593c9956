// Learned heads, learning settings, and the bulk reads training, ranking and identity tools need.
import { jsonList, type Db as Database, type Stmt as Statement } from '../db-types';
import type { PredictionInput } from './faces';

export type EmbeddingModel = 'faceres' | 'mobilefacenet';

export interface LearnedModelRow {
  id: number;
  datasetId: number;
  runId: string;
  jobId: number | null;
  embeddingModel: EmbeddingModel;
  lambda: number;
  keys: string[];
  dims: number;
  weights: Buffer;
  metrics: unknown;
  humanLabels: number;
  active: boolean;
  createdAt: number;
}

export interface LearningSettings {
  retrainEvery: number | null;
  lambda: number;
  embeddingModel: EmbeddingModel;
  decode: boolean;
}

export interface FaceImageRow {
  faceId: number;
  imageId: number;
  relPath: string;
  sha256: string | null;
  split: string | null;
}

/** A stored label issue (one face, one key) of the dataset's latest training run. */
export interface LabelIssueRow {
  faceId: number;
  key: string;
  runId: string;
  label: string;
  suggested: string;
  pLabel: number;
  pSuggested: number;
  threshold: number;
  suspect: boolean;
  score: number;
  evidence: unknown;
}

export interface LabelIssueQuery {
  datasetId: number;
  faceId?: number;
  key?: string;
  /** Only the confident-learning suspects. */
  suspects?: boolean;
  offset?: number;
  limit?: number;
}

const issueCols = `face_id AS faceId, key, run_id AS runId, label, suggested, p_label AS pLabel,
  p_suggested AS pSuggested, threshold, suspect, score, evidence`;

const modelCols = `id, dataset_id AS datasetId, run_id AS runId, job_id AS jobId,
  embedding_model AS embeddingModel, lambda, keys, dims, weights, metrics, human_labels AS humanLabels, active,
  created_at AS createdAt`;

type RawModel = Omit<LearnedModelRow, 'keys' | 'metrics' | 'active'> & {
  keys: string;
  metrics: string;
  active: number;
};
const toModel = (r: RawModel): LearnedModelRow => ({
  ...r,
  keys: JSON.parse(r.keys) as string[],
  metrics: JSON.parse(r.metrics) as unknown,
  active: r.active === 1,
});

export function createLearningRepository(db: Database) {
  const insertModel = db.prepare(`INSERT INTO learned_models (dataset_id, run_id, job_id, embedding_model,
      lambda, keys, dims, weights, metrics, human_labels, active, created_at)
    VALUES (@datasetId, @runId, @jobId, @embeddingModel, @lambda, @keys, @dims, @weights, @metrics,
      @humanLabels, 1, @at) RETURNING id`);
  const deactivate = db.prepare(`UPDATE learned_models SET active = 0 WHERE dataset_id = ? AND active = 1`);
  const active = db.prepare(`SELECT ${modelCols} FROM learned_models WHERE dataset_id = ? AND active = 1
    ORDER BY id DESC LIMIT 1`);
  const settings =
    db.prepare(`SELECT retrain_every AS retrainEvery, lambda, embedding_model AS embeddingModel,
    decode FROM learning_settings WHERE dataset_id = ?`);
  const upsertSettings = db.prepare(`INSERT INTO learning_settings (dataset_id, retrain_every, lambda,
      embedding_model, decode) VALUES (@datasetId, @retrainEvery, @lambda, @embeddingModel, @decode)
    ON CONFLICT (dataset_id) DO UPDATE SET retrain_every = excluded.retrain_every, lambda = excluded.lambda,
      embedding_model = excluded.embedding_model, decode = excluded.decode`);
  const embeddings = db.prepare(`SELECT e.face_id AS faceId, e.vector FROM embeddings e
    JOIN faces f ON f.id = e.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? AND e.model_id = ? ORDER BY e.face_id`);
  // Each part is a rowid / primary-key maximum or a scan of the small jobs table: cheap enough for every call.
  const rankingStamp = db
    .prepare(
      `SELECT (SELECT coalesce(max(id), 0) FROM label_events) || ':' || (SELECT coalesce(max(id), 0) FROM faces)
        || ':' || (SELECT coalesce(max(id), 0) FROM predictions) || ':' || (SELECT coalesce(max(id), 0)
        FROM violations) || ':' || (SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM jobs) || ':' ||
        coalesce((SELECT max(id) FROM learned_models WHERE dataset_id = ? AND active = 1), 0)`,
    )
    .pluck();
  const humanLabelCount = db
    .prepare(
      `SELECT count(*) FROM labels l JOIN faces f ON f.id = l.face_id JOIN images i ON i.id = f.image_id
      WHERE i.dataset_id = ? AND l.source = 'human'`,
    )
    .pluck();
  const humanLabelled = db
    .prepare(
      `SELECT DISTINCT l.face_id FROM labels l JOIN faces f ON f.id = l.face_id
      JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ? AND l.source = 'human'`,
    )
    .pluck();
  const learnedFaces = db
    .prepare(
      `SELECT DISTINCT p.face_id FROM predictions p JOIN faces f ON f.id = p.face_id
      JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ? AND p.source = 'learned'`,
    )
    .pluck();
  const deleteLearned = db.prepare(`DELETE FROM predictions WHERE face_id = ? AND source = 'learned'`);
  // A face's learned predictions go in as one multi-row statement: the best_predictions trigger then costs a
  // statement journal once per face instead of once per row (40 keys: 18 instead of 32 CPU s per 20,000 faces).
  const insertMany = new Map<number, Statement>();
  const insertPredictions = (n: number): Statement => {
    let st = insertMany.get(n);
    if (!st) {
      const row = `(?, ?, ?, ?, 'learned', ?, ?)`;
      st =
        db.prepare(`INSERT INTO predictions (face_id, model_id, model_version, task, source, value, created_at)
        VALUES ${new Array<string>(n).fill(row).join(', ')}`);
      insertMany.set(n, st);
    }
    return st;
  };
  // The full model's predictions (model_id learned-heads), not the held-out ones of labelled faces.
  const learned = db.prepare(`SELECT p.face_id AS faceId, p.task, p.value FROM predictions p
    JOIN faces f ON f.id = p.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? AND p.source = 'learned' AND p.model_id = 'learned-heads' ORDER BY p.face_id`);
  const violationCounts = db.prepare(`SELECT v.face_id AS faceId, count(*) AS n FROM violations v
    JOIN faces f ON f.id = v.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? GROUP BY v.face_id`);
  const reviewed = db
    .prepare(
      `SELECT r.face_id FROM reviews r JOIN faces f ON f.id = r.face_id JOIN images i ON i.id = f.image_id
      WHERE i.dataset_id = ? AND r.status != 'unreviewed'`,
    )
    .pluck();
  // The review ranking's in-place update (learning/ranking.ts): the faces label events touched since an id, and
  // those faces' labels and violation counts; one round trip each, whatever the number of faces.
  const facesEditedSince = db
    .prepare(`SELECT DISTINCT face_id FROM label_events WHERE id > ? ORDER BY face_id`)
    .pluck();
  const labelsOfFaces = db.prepare(`SELECT face_id AS faceId, key, source, value FROM labels
    WHERE face_id IN ${jsonList(db, '@ids', 'int')}`);
  const violationCountsOfFaces = db.prepare(`SELECT face_id AS faceId, count(*) AS n FROM violations
    WHERE face_id IN ${jsonList(db, '@ids', 'int')} GROUP BY face_id`);
  const clearIssues = db.prepare(`DELETE FROM label_issues WHERE dataset_id = ?`);
  const clearFaceScores = db.prepare(`DELETE FROM face_label_scores WHERE dataset_id = ?`);
  const insertIssue =
    db.prepare(`INSERT INTO label_issues (face_id, key, dataset_id, run_id, label, suggested,
      p_label, p_suggested, threshold, suspect, score, evidence)
    VALUES (@faceId, @key, @datasetId, @runId, @label, @suggested, @pLabel, @pSuggested, @threshold, @suspect,
      @score, @evidence)`);
  const insertFaceScore =
    db.prepare(`INSERT INTO face_label_scores (face_id, dataset_id, score, key, suspects)
    VALUES (@faceId, @datasetId, @score, @key, @suspects)`);
  const issueWhere = `dataset_id = @datasetId AND (@faceId IS NULL OR face_id = @faceId)
    AND (@key IS NULL OR key = @key) AND (CAST(@suspects AS INTEGER) IS NULL OR suspect = 1)`;
  const issuePage = db.prepare(`SELECT ${issueCols} FROM label_issues WHERE ${issueWhere}
    ORDER BY score DESC, face_id, key LIMIT @limit OFFSET @offset`);
  const issueCount = db.prepare(`SELECT count(*) FROM label_issues WHERE ${issueWhere}`).pluck();
  const wrongOrder = db
    .prepare(`SELECT face_id FROM face_label_scores WHERE dataset_id = ? ORDER BY score DESC, face_id`)
    .pluck();
  const hasScores = db.prepare(`SELECT 1 FROM face_label_scores WHERE dataset_id = ? LIMIT 1`).pluck();
  const labelViolations = db.prepare(`SELECT v.face_id AS faceId, ru.key AS rule, v.subject, v.detail
    FROM violations v JOIN rules ru ON ru.id = v.rule_id JOIN faces f ON f.id = v.face_id
    JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ? AND v.subject IN ('labels', 'cross')`);
  const modelPredictions = db.prepare(`SELECT p.face_id AS faceId, p.task, p.model_id AS modelId, p.value
    FROM predictions p JOIN faces f ON f.id = p.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? AND p.source IN ('model', 'derived')`);
  const faceImages = db.prepare(`SELECT f.id AS faceId, i.id AS imageId, i.rel_path AS relPath, i.sha256,
    i.split FROM faces f JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ? ORDER BY f.id`);
  const sameBytes = db.prepare(
    db.dialect === 'postgres'
      ? `SELECT sha256, json_agg(id ORDER BY id) AS ids FROM images
        WHERE dataset_id = ? AND sha256 IS NOT NULL AND status = 'ok'
        GROUP BY sha256 HAVING count(*) > 1 ORDER BY min(id)`
      : `SELECT sha256, json_group_array(id) AS ids FROM
    (SELECT sha256, id FROM images WHERE dataset_id = ? AND sha256 IS NOT NULL AND status = 'ok' ORDER BY id)
    GROUP BY sha256 HAVING count(*) > 1 ORDER BY min(id)`,
  );

  return {
    /** Stores a trained model as the dataset's active one (the previous one stays, inactive). */
    insertActiveModel(m: Omit<LearnedModelRow, 'id' | 'active' | 'createdAt'>, at = Date.now()): number {
      deactivate.run(m.datasetId);
      return (
        insertModel.get({
          ...m,
          keys: JSON.stringify(m.keys),
          metrics: JSON.stringify(m.metrics),
          at,
        }) as { id: number }
      ).id;
    },
    activeModel(datasetId: number): LearnedModelRow | null {
      const r = active.get(datasetId) as RawModel | undefined;
      return r ? toModel(r) : null;
    },
    settings(datasetId: number): LearningSettings {
      const r = settings.get(datasetId) as
        (Omit<LearningSettings, 'decode'> & { decode: number }) | undefined;
      return r
        ? { ...r, decode: r.decode === 1 }
        : { retrainEvery: null, lambda: 0.5, embeddingModel: 'faceres', decode: true };
    },
    setSettings(datasetId: number, s: LearningSettings): void {
      upsertSettings.run({ datasetId, ...s, decode: s.decode ? 1 : 0 });
    },
    /** Every face of the dataset with an embedding from `modelId`, in face id order. */
    *embeddings(datasetId: number, modelId: string): Generator<{ faceId: number; vector: Float32Array }> {
      for (const r of embeddings.iterate(datasetId, modelId) as Iterable<{
        faceId: number;
        vector: Buffer;
      }>) {
        const copy = new Uint8Array(r.vector);
        yield { faceId: r.faceId, vector: new Float32Array(copy.buffer, 0, copy.byteLength / 4) };
      }
    },
    /**
     * Changes whenever the review order's inputs may have: a label event (every human edit writes one), any job's
     * progress (imports, analysis, rule passes, training write only in jobs), new faces, predictions or
     * violations, or the active learned model.
     */
    rankingStamp(datasetId: number): string {
      return rankingStamp.get(datasetId) as string;
    },
    humanLabelCount(datasetId: number): number {
      return humanLabelCount.get(datasetId) as number;
    },
    humanLabelledFaces(datasetId: number): Set<number> {
      return new Set(humanLabelled.all(datasetId) as number[]);
    },
    learnedFaces(datasetId: number): number[] {
      return learnedFaces.all(datasetId) as number[];
    },
    /** Replaces a face's learned predictions (none when `preds` is empty). */
    replaceLearned(faceId: number, preds: Omit<PredictionInput, 'source'>[], at = Date.now()): void {
      deleteLearned.run(faceId);
      if (preds.length === 0) return;
      insertPredictions(preds.length).run(
        preds.flatMap((p) => [faceId, p.modelId, p.modelVersion, p.task, JSON.stringify(p.value), at]),
      );
    },
    *learnedPredictions(datasetId: number): Generator<{ faceId: number; task: string; value: unknown }> {
      for (const r of learned.iterate(datasetId) as Iterable<{ faceId: number; task: string; value: string }>)
        yield { faceId: r.faceId, task: r.task, value: JSON.parse(r.value) as unknown };
    },
    violationCounts(datasetId: number): Map<number, number> {
      const rows = violationCounts.all(datasetId) as { faceId: number; n: number }[];
      return new Map(rows.map((r) => [r.faceId, r.n]));
    },
    /** Faces (of any dataset) with a label event after event `id`, in face id order. */
    facesEditedSince(id: number): number[] {
      return facesEditedSince.all(id) as number[];
    },
    /** Every label of these faces (any order). */
    labelsOfFaces(
      faceIds: readonly number[],
    ): { faceId: number; key: string; source: string; value: string }[] {
      return labelsOfFaces.all({ ids: JSON.stringify(faceIds) }) as {
        faceId: number;
        key: string;
        source: string;
        value: string;
      }[];
    },
    /** Open violation counts of these faces (faces without any are absent). */
    violationCountsOf(faceIds: readonly number[]): Map<number, number> {
      const rows = violationCountsOfFaces.all({ ids: JSON.stringify(faceIds) }) as {
        faceId: number;
        n: number;
      }[];
      return new Map(rows.map((r) => [r.faceId, r.n]));
    },
    /** Faces whose review status is anything but `unreviewed`. */
    reviewedFaces(datasetId: number): Set<number> {
      return new Set(reviewed.all(datasetId) as number[]);
    },
    /** Replaces the dataset's label issues and face scores with a training run's (inside store.write()). */
    replaceLabelIssues(
      datasetId: number,
      runId: string,
      issues: Omit<LabelIssueRow, 'runId'>[],
      faces: { faceId: number; score: number; key: string; suspects: number }[],
    ): void {
      clearIssues.run(datasetId);
      clearFaceScores.run(datasetId);
      for (const r of issues) {
        insertIssue.run({
          ...r,
          datasetId,
          runId,
          suspect: r.suspect ? 1 : 0,
          evidence: JSON.stringify(r.evidence),
        });
      }
      for (const f of faces) insertFaceScore.run({ ...f, datasetId });
    },
    /** Stored label issues, highest score first. */
    labelIssues(q: LabelIssueQuery): { items: LabelIssueRow[]; total: number } {
      const args = {
        datasetId: q.datasetId,
        faceId: q.faceId ?? null,
        key: q.key ?? null,
        suspects: q.suspects ? 1 : null,
      };
      const rows = issuePage.all({ ...args, limit: q.limit ?? 100, offset: q.offset ?? 0 }) as (Omit<
        LabelIssueRow,
        'suspect' | 'evidence'
      > & { suspect: number; evidence: string })[];
      return {
        items: rows.map((r) => ({
          ...r,
          suspect: r.suspect === 1,
          evidence: JSON.parse(r.evidence) as unknown,
        })),
        total: issueCount.get(args) as number,
      };
    },
    /** Face ids of the dataset by their highest label-issue score (the "likely wrong labels" order). */
    *wrongOrder(datasetId: number): Generator<number> {
      yield* wrongOrder.iterate(datasetId) as Iterable<number>;
    },
    hasLabelIssues(datasetId: number): boolean {
      return hasScores.get(datasetId) !== undefined;
    },
    /** Violations of rules that read labels (subjects labels and cross), with their stored detail. */
    *labelViolations(
      datasetId: number,
    ): Generator<{ faceId: number; rule: string; subject: string; detail: unknown }> {
      for (const r of labelViolations.iterate(datasetId) as Iterable<{
        faceId: number;
        rule: string;
        subject: string;
        detail: string;
      }>)
        yield { ...r, detail: JSON.parse(r.detail) as unknown };
    },
    /** Predictions of the bundled models and the derived attributes (never learned ones). */
    *modelPredictions(
      datasetId: number,
    ): Generator<{ faceId: number; task: string; modelId: string; value: unknown }> {
      for (const r of modelPredictions.iterate(datasetId) as Iterable<{
        faceId: number;
        task: string;
        modelId: string;
        value: string;
      }>)
        yield { ...r, value: JSON.parse(r.value) as unknown };
    },
    faceImages(datasetId: number): FaceImageRow[] {
      return faceImages.all(datasetId) as FaceImageRow[];
    },
    /** Groups of image ids with identical bytes (same sha256), two or more per group. */
    sameBytes(datasetId: number): { sha256: string; imageIds: number[] }[] {
      return (sameBytes.all(datasetId) as { sha256: string; ids: string }[]).map((r) => ({
        sha256: r.sha256,
        imageIds: JSON.parse(r.ids) as number[],
      }));
    },
  };
}
export type LearningRepository = ReturnType<typeof createLearningRepository>;
