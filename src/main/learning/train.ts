// One training run: cross-validate, fit on every labelled face, predict the rest; the commit swaps it in.
import { randomUUID } from 'node:crypto';
import { AppError } from '../../shared/errors';
import { decodeConsistent, type RuleSet } from '../../shared/rules';
import type { EmbeddingModel, Store } from '../store/index';
import type { ConstraintEngine } from '../constraints/index';
import { clausesFromRules, packClauses, type SkippedRule } from '../../shared/rules/clauses';
import { buildTrainSet, effectiveCelebaLabels, loadEmbeddings } from './data';
import { crossValidate, type CrossValidation } from './evaluate';
import { headsToBlob, predictHeads, trainHeads, type Heads } from './heads';

/** The model id of learned predictions; their model_version is the training run id. */
export const LEARNED_MODEL_ID = 'learned-heads';

export interface TrainParams {
  lambda: number;
  embeddingModel: EmbeddingModel;
  folds: number;
  epochs: number;
  decode: boolean;
  seed: number;
}

/** What a stored model's `metrics` column holds (learning.report reads it back). */
export interface StoredMetrics {
  faces: number;
  evaluation: CrossValidation | null;
  rules: { used: string[]; skipped: SkippedRule[] };
  params: TrainParams;
  seconds: number;
}

export interface TrainHooks {
  /** Throws to stop (cancel / shutdown); called between mini-batches. */
  checkCancel(): void;
  /** Lets the process handle messages between epochs. */
  yieldNow(): Promise<void>;
}

export interface TrainingResult {
  runId: string;
  heads: Heads;
  metrics: StoredMetrics;
  /** Writes the model and the learned predictions and re-checks touched faces; run inside store.write(). */
  commit(jobId: number | null): void;
}

export function parseTrainParams(
  raw: Record<string, unknown>,
  defaults: Partial<TrainParams> = {},
): TrainParams {
  const num = (v: unknown, d: number, ok: (x: number) => boolean) =>
    typeof v === 'number' && Number.isFinite(v) && ok(v) ? v : d;
  return {
    lambda: num(raw.lambda, defaults.lambda ?? 0.5, (x) => x >= 0 && x <= 100),
    embeddingModel:
      raw.embeddingModel === 'mobilefacenet' || raw.embeddingModel === 'faceres'
        ? raw.embeddingModel
        : (defaults.embeddingModel ?? 'faceres'),
    folds: num(raw.folds, defaults.folds ?? 5, (x) => Number.isInteger(x) && x >= 2 && x <= 20),
    epochs: num(raw.epochs, defaults.epochs ?? 20, (x) => Number.isInteger(x) && x >= 1 && x <= 500),
    decode: typeof raw.decode === 'boolean' ? raw.decode : (defaults.decode ?? false),
    seed: num(raw.seed, 1, Number.isInteger),
  };
}

/** Probabilities → prediction rows; with `decode`, values are the most probable rule-consistent labelling. */
function predictionRows(
  keys: readonly string[],
  p: Float32Array,
  offset: number,
  runId: string,
  rules: RuleSet | null,
) {
  const probs: Record<string, number> = {};
  keys.forEach((key, c) => {
    probs[key] = Math.min(1 - 1e-6, Math.max(1e-6, p[offset + c]!));
  });
  let values: Record<string, unknown> | null = null;
  if (rules) {
    try {
      values = decodeConsistent(rules, { probs }).values;
    } catch (err) {
      // A group the error rules leave no consistent labelling for keeps its thresholded values.
      if (!(err instanceof AppError && err.code === 'conflict')) throw err;
    }
  }
  return keys.map((key) => ({
    modelId: LEARNED_MODEL_ID,
    modelVersion: runId,
    task: key,
    value: { value: (values?.[key] as number | undefined) ?? (probs[key]! >= 0.5 ? 1 : -1), p: probs[key]! },
  }));
}

/**
 * Trains on the dataset's labelled faces (effective CelebA labels, frozen embeddings), reports k-fold CV with
 * and without L_c, fits the final heads on all of them, and predicts every face without a human label.
 */
export async function runTraining(
  store: Store,
  engine: ConstraintEngine,
  datasetId: number,
  params: TrainParams,
  hooks: TrainHooks,
): Promise<TrainingResult> {
  const started = performance.now();
  const table = loadEmbeddings(store, datasetId, params.embeddingModel);
  if (table.faceIds.length === 0) {
    throw new AppError(
      'invalid_request',
      `no ${params.embeddingModel} embeddings in dataset ${datasetId}; run the analysis first`,
    );
  }
  const { set } = buildTrainSet(table, effectiveCelebaLabels(store, datasetId));
  if (set.n < 2 || set.keys.length === 0) {
    throw new AppError(
      'invalid_request',
      `too few labelled faces to train on (${set.n} faces; an attribute needs both values among them)`,
    );
  }
  const ruleSet = engine.ruleSet();
  const { used, skipped } = clausesFromRules(
    ruleSet.rules.map((r) => r.rule),
    set.keys,
  );
  const clauses = packClauses(
    used.flatMap((u) => u.clauses),
    set.keys,
  );
  const train = {
    epochs: params.epochs,
    seed: params.seed,
    checkCancel: hooks.checkCancel,
    onEpoch: () => hooks.yieldNow(),
  };
  const folds = Math.min(params.folds, set.n);
  const evaluation =
    set.n >= 4
      ? await crossValidate(set, { folds, seed: params.seed, lambda: params.lambda, clauses, train })
      : null;
  const heads = await trainHeads(set, { ...train, lambda: params.lambda, clauses });

  // Predict every face with an embedding and no human label.
  const human = store.learning.humanLabelledFaces(datasetId);
  const targets: number[] = [];
  table.faceIds.forEach((id, i) => {
    if (!human.has(id)) targets.push(i);
  });
  const d = table.d;
  const x = new Float32Array(targets.length * d);
  targets.forEach((r, i) => x.set(table.x.subarray(r * d, r * d + d), i * d));
  const p = predictHeads(heads, x, targets.length);
  const runId = randomUUID();
  const k = heads.keys.length;
  const rows = targets.map((r, i) => ({
    faceId: table.faceIds[r]!,
    preds: predictionRows(heads.keys, p, i * k, runId, params.decode ? ruleSet : null),
  }));
  const metrics: StoredMetrics = {
    faces: set.n,
    evaluation,
    rules: { used: used.map((u) => u.ruleId), skipped },
    params,
    seconds: (performance.now() - started) / 1000,
  };
  const humanLabels = store.learning.humanLabelCount(datasetId);

  return {
    runId,
    heads,
    metrics,
    commit(jobId) {
      store.learning.insertActiveModel({
        datasetId,
        runId,
        jobId,
        embeddingModel: params.embeddingModel,
        lambda: params.lambda,
        keys: heads.keys,
        dims: heads.d,
        weights: headsToBlob(heads),
        metrics,
        humanLabels,
      });
      // Faces that had learned predictions and now have a human label lose them; the rest are replaced.
      const touched = new Set(store.learning.learnedFaces(datasetId));
      for (const id of touched) store.learning.replaceLearned(id, []);
      for (const r of rows) {
        store.learning.replaceLearned(r.faceId, r.preds);
        touched.add(r.faceId);
      }
      for (const id of touched) engine.refreshFace(id);
    },
  };
}
