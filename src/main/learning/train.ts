// One training run: cross-validate, fit on every labelled face, predict the rest; the commit swaps it in.
import { randomUUID } from 'node:crypto';
import { AppError } from '../../shared/errors';
import { decodeConsistent, type RuleSet } from '../../shared/rules';
import type { EmbeddingModel, Store } from '../store/index';
import type { ConstraintEngine } from '../constraints/index';
import {
  clausesFromRules,
  packClauses,
  violatesAny,
  type PackedClauses,
  type SkippedRule,
} from '../../shared/rules/clauses';
import { buildTrainSet, effectiveLabelTexts, loadEmbeddings, type KeySpec } from './data';
import { heldOutPredictions, type AttributeMetrics, type CrossValidation } from './evaluate';
import { headsToBlob, predictHeads, trainHeads, type Heads, type TrainSet } from './heads';
import { classProbs, confidentLearning, type KeyNoise } from './label-issues';
import { labelIssueRows } from './issue-evidence';

/** The model id of learned predictions; their model_version is the training run id. */
export const LEARNED_MODEL_ID = 'learned-heads';
/** The model id of a labelled face's held-out predictions (from the fold that did not hold it). */
export const LEARNED_OOF_MODEL_ID = 'learned-oof';

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
  /** Per key: the confident joint's estimate of its wrong labels (absent in models trained before #29). */
  noise?: KeyNoise[];
}

export interface TrainHooks {
  /** Throws to stop (cancel / shutdown); called between mini-batches. */
  checkCancel(): void;
  /** Lets the process handle messages between epochs. */
  yieldNow(): Promise<void>;
  /** After each fit (fold heads, then the final heads): `done` of `total` fits. */
  progress?(done: number, total: number): void;
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
    decode: typeof raw.decode === 'boolean' ? raw.decode : (defaults.decode ?? true),
    seed: num(raw.seed, 1, Number.isInteger),
  };
}

/** Probabilities → prediction rows; with `decode`, CelebA values are the most probable rule-consistent labelling. */
function predictionRows(
  specs: readonly KeySpec[],
  p: Float32Array,
  offset: number,
  model: { id: string; runId: string; heldOut: boolean },
  rules: RuleSet | null,
) {
  const probs: Record<string, number> = {};
  for (const spec of specs) {
    if (spec.binary) probs[spec.key] = Math.min(1 - 1e-6, Math.max(1e-6, p[offset + spec.cols[0]!]!));
  }
  let values: Record<string, unknown> | null = null;
  if (rules && Object.keys(probs).length > 0) {
    try {
      values = decodeConsistent(rules, { probs }).values;
    } catch (err) {
      // A group the error rules leave no consistent labelling for keeps its thresholded values.
      if (!(err instanceof AppError && err.code === 'conflict')) throw err;
    }
  }
  const extra = model.heldOut ? { heldOut: true } : {};
  const buf = new Float64Array(64);
  return specs.map((spec) => {
    let value: Record<string, unknown>;
    if (spec.binary) {
      const q = probs[spec.key]!;
      value = { value: (values?.[spec.key] as number | undefined) ?? (q >= 0.5 ? 1 : -1), p: q, ...extra };
    } else {
      const c = classProbs(spec, p, offset, buf);
      let best = 0;
      for (let j = 1; j < spec.classes.length; j++) if (c[j]! > c[best]!) best = j;
      value = {
        label: spec.classes[best],
        p: c[best],
        probs: Object.fromEntries(spec.classes.map((cls, j) => [cls, +c[j]!.toFixed(4)])),
        ...extra,
      };
    }
    return { modelId: model.id, modelVersion: model.runId, task: spec.key, value };
  });
}

/** Share of faces whose stored (decoded) CelebA values break an error clause: the decoded violation rate. */
function decodedViolationRate(
  specs: readonly KeySpec[],
  k: number,
  rows: { preds: { task: string; value: Record<string, unknown> }[] }[],
  clauses: PackedClauses,
): number {
  const hard = new Float32Array(k);
  let broken = 0;
  for (const r of rows) {
    hard.fill(0.5);
    r.preds.forEach((pr, si) => {
      const spec = specs[si]!;
      if (spec.binary) hard[spec.cols[0]!] = pr.value.value === 1 ? 1 : 0;
    });
    if (violatesAny(hard, 0, clauses)) broken++;
  }
  return rows.length > 0 ? broken / rows.length : 0;
}

/** Multi-class keys' CV metrics from their class columns' held-out probabilities (argmax vs the label). */
function classMetrics(spec: KeySpec, set: TrainSet, p: Float32Array, fold: Int8Array): AttributeMetrics {
  const k = set.keys.length;
  const m = spec.classes.length;
  const buf = new Float64Array(m);
  const hit = new Float64Array(m);
  const count = new Float64Array(m);
  const perFold = new Map<number, Float64Array>();
  const labelOf = new Int32Array(set.n).fill(-1);
  for (let i = 0; i < set.n; i++) {
    const y = spec.cols.findIndex((c) => set.y[i * k + c] === 1);
    if (y < 0) continue;
    labelOf[i] = y;
    let f = perFold.get(fold[i]!);
    if (!f) perFold.set(fold[i]!, (f = new Float64Array(m)));
    f[y]!++;
    classProbs(spec, p, i * k, buf);
    let best = 0;
    for (let j = 1; j < m; j++) if (buf[j]! > buf[best]!) best = j;
    count[y]!++;
    if (best === y) hit[y]!++;
  }
  // The majority baseline answers the most frequent class of the other folds.
  let base = 0;
  const baseHit = new Float64Array(m);
  const totals = new Float64Array(m);
  for (const f of perFold.values()) for (let j = 0; j < m; j++) totals[j]! += f[j]!;
  for (let i = 0; i < set.n; i++) {
    const y = labelOf[i]!;
    if (y < 0) continue;
    const own = perFold.get(fold[i]!)!;
    let maj = 0;
    for (let j = 1; j < m; j++) if (totals[j]! - own[j]! > totals[maj]! - own[maj]!) maj = j;
    if (maj === y) {
      base++;
      baseHit[y]!++;
    }
  }
  const n = count.reduce((a, b) => a + b, 0);
  const present = [...count.keys()].filter((j) => count[j]! > 0);
  const mean = (num: Float64Array) => present.reduce((a, j) => a + num[j]! / count[j]!, 0) / present.length;
  return {
    key: spec.key,
    n,
    positives: 0,
    accuracy: n > 0 ? hit.reduce((a, b) => a + b, 0) / n : NaN,
    balancedAccuracy: present.length > 0 ? mean(hit) : NaN,
    f1: NaN,
    majorityBaseline: n > 0 ? base / n : NaN,
    majorityBalancedAccuracy: present.length > 0 ? mean(baseHit) : NaN,
  };
}

/**
 * Trains on the dataset's labelled faces (effective labels, frozen embeddings): k folds grouped by image give
 * every labelled face held-out probabilities (its CV metrics, its `learned-oof` predictions and its label-issue
 * scores); the final heads fit on all of them predict every unlabelled face (`learned-heads`).
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
  const labels = effectiveLabelTexts(store, datasetId);
  const { set, faceIds: setFaces, specs } = buildTrainSet(table, labels);
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
  // Faces of one image share a fold (a second face of a photo would leak its context into the other fold).
  const imageOf = new Map(store.learning.faceImages(datasetId).map((r) => [r.faceId, r.imageId]));
  const groups = Int32Array.from(setFaces, (id) => imageOf.get(id) ?? -id);
  const units = new Set(groups).size;
  const folds = Math.min(params.folds, units);
  const fits = (params.lambda > 0 ? 2 : 1) * (folds >= 2 ? folds : 0) + 1;
  let fit = 0;
  const step = async () => {
    hooks.progress?.(++fit, fits);
    await hooks.yieldNow();
  };
  const held =
    set.n >= 4 && folds >= 2
      ? await heldOutPredictions(set, {
          folds,
          seed: params.seed,
          lambda: params.lambda,
          clauses,
          groups,
          train,
          trainer: async (s, o) => {
            const h = await trainHeads(s, o);
            await step();
            return h;
          },
        })
      : null;
  const runId = randomUUID();
  const decodeWith = params.decode ? ruleSet : null;
  const k = set.keys.length;
  // Labelled faces: their held-out probabilities (decoded like every stored prediction when decoding is on).
  const oof = { id: LEARNED_OOF_MODEL_ID, runId, heldOut: true };
  const heldRows = held
    ? setFaces.map((faceId, i) => ({
        faceId,
        preds: predictionRows(specs, held.p, i * k, oof, decodeWith),
      }))
    : [];
  const evaluation = held && {
    ...held.evaluation,
    attributes: [
      ...held.evaluation.attributes.filter((a) => !a.key.includes('=')),
      ...specs.filter((sp) => !sp.binary).map((sp) => classMetrics(sp, set, held.p, held.fold)),
    ],
    violationRate: {
      ...held.evaluation.violationRate,
      ...(params.decode && clauses ? { decoded: decodedViolationRate(specs, k, heldRows, clauses) } : {}),
    },
  };
  const heads = await trainHeads(set, { ...train, lambda: params.lambda, clauses });
  await step();

  // Every face without a label: the final heads'. (A labelled face never gets a probability from heads that saw
  // its label: with too few faces for folds it gets none.)
  const inSet = new Set(setFaces);
  const targets: number[] = [];
  table.faceIds.forEach((id, i) => {
    if (!inSet.has(id)) targets.push(i);
  });
  const d = table.d;
  const x = new Float32Array(targets.length * d);
  targets.forEach((r, i) => x.set(table.x.subarray(r * d, r * d + d), i * d));
  const p = predictHeads(heads, x, targets.length);
  const full = { id: LEARNED_MODEL_ID, runId, heldOut: false };
  const rows = targets.map((r, i) => ({
    faceId: table.faceIds[r]!,
    preds: predictionRows(specs, p, i * k, full, decodeWith),
  }));
  let issues: ReturnType<typeof labelIssueRows> | null = null;
  let noise: KeyNoise[] = [];
  for (const r of heldRows) rows.push(r);
  if (held) {
    const cl = confidentLearning(set, specs, held.p);
    noise = cl.noise;
    issues = labelIssueRows(store, datasetId, setFaces, labels, cl);
  }
  const metrics: StoredMetrics = {
    faces: set.n,
    evaluation,
    rules: { used: used.map((u) => u.ruleId), skipped },
    params,
    seconds: (performance.now() - started) / 1000,
    noise,
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
      const touched = new Set(store.learning.learnedFaces(datasetId));
      for (const id of touched) store.learning.replaceLearned(id, []);
      for (const r of rows) {
        store.learning.replaceLearned(r.faceId, r.preds);
        touched.add(r.faceId);
      }
      store.learning.replaceLabelIssues(datasetId, runId, issues?.issues ?? [], issues?.faces ?? []);
      for (const id of touched) engine.refreshFace(id);
    },
  };
}
