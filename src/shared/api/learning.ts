// Heads learned from labels, label issues, identities: learning.*.
import type { Page } from './common';
import type { FaceSummary } from './faces';
import type { Job } from './jobs';

/** Frozen embeddings the learned heads can sit on. */
export const LEARNING_EMBEDDINGS = ['faceres', 'mobilefacenet'] as const;

export type LearningEmbedding = (typeof LEARNING_EMBEDDINGS)[number];

export interface LearningSettings {
  /** Queue a retraining after this many new human labels (null: only on demand). */
  retrainEvery: number | null;
  /** Weight of the constraint loss L_c. */
  lambda: number;
  embeddingModel: LearningEmbedding;
  /** Store the most probable rule-consistent labelling as the predicted values. */
  decode: boolean;
}

/** Cross-validated quality of one learned head (held-out predictions pooled over folds). */
export interface LearnedAttributeMetrics {
  /** A CelebA attribute, or a class key (gender, age_bucket, race, expression: accuracy of the most probable
   * class, balanced accuracy = mean recall per class; positives 0 and f1 null there). */
  key: string;
  n: number;
  positives: number;
  accuracy: number;
  balancedAccuracy: number;
  f1: number;
  /** Accuracy of answering the training folds' majority value (can fall below 0.5 when folds differ). */
  majorityBaseline: number;
  /** Balanced accuracy of that answer: 0.5 whenever both values occur (the fair bar for balancedAccuracy). */
  majorityBalancedAccuracy: number;
}

export interface LearningReport {
  datasetId: number;
  settings: LearningSettings;
  /** The model in use, or null before the first finished training. */
  model: {
    runId: string;
    jobId: number | null;
    embeddingModel: LearningEmbedding;
    lambda: number;
    keys: string[];
    /** Labelled faces it was trained on. */
    faces: number;
    createdAt: number;
    seconds: number;
  } | null;
  evaluation: {
    folds: number;
    faces: number;
    attributes: LearnedAttributeMetrics[];
    meanBalancedAccuracy: number;
    /**
     * Share of held-out faces whose predictions break an `error` rule: thresholded, trained with λ and with
     * λ = 0; `decoded`: the values the app stores when decoding is on (the most probable consistent labelling).
     */
    violationRate: { withConstraint: number; withoutConstraint: number; decoded?: number };
  } | null;
  /** Error rules used as constraints, and the ones skipped with why. */
  rules: { used: string[]; skipped: { ruleId: string; reason: string }[] };
  humanLabelsSinceTraining: number;
}

/** A face in active-review order: score = (0.05 + uncertainty) · (1 + violations) · (1 + unusual). */
export interface RankedFace {
  face: FaceSummary;
  score: number;
  /** Mean binary entropy of the learned heads (0..1); 1 without a model, 0 for human-labelled faces. */
  uncertainty: number;
  violations: number;
  /** 1 − p of the face's rarest attribute pair (0 when none qualifies). */
  unusual: number;
  /** In the `wrong` order: the face's highest label-issue score (its top issue is in `issue`). */
  labelScore?: number;
  issue?: LabelIssue | null;
}

/** One doubted label: what the held-out heads, the rules and the bundled models say about it. */
export interface LabelIssue {
  faceId: number;
  relPath: string;
  key: string;
  /** The label as stored when the scores were computed (`1` / `-1` for CelebA, else the class). */
  label: string;
  /** The most probable other value by the held-out heads: the one-key fix. */
  suggested: string;
  /** Held-out probability of the label and of the suggested value, and the suggested value's threshold t_k. */
  pLabel: number;
  pSuggested: number;
  threshold: number;
  /** Confident learning flags it: pSuggested ≥ threshold. */
  suspect: boolean;
  /** suspect (1) + held-out disagreement (1 − margin) / 2 + 0.2 with a rule + 0.1 with a bundled model. */
  score: number;
  evidence: {
    /** Violated rules that read this label (subject `labels`, or `cross`: against the parsing map). */
    rules: { rule: string; subject: string; fixTo: string | null }[];
    /** Bundled or derived model predictions that differ from the label. */
    models: { model: string; value: string; p: number | null }[];
  };
  /** The face's effective label changed since (e.g. fixed): the issue is kept for the record only. */
  stale: boolean;
  /** The training run that computed it. */
  runId: string;
}

/** Estimated label noise of one key (the calibrated confident joint). */
export interface KeyNoise {
  key: string;
  classes: string[];
  labels: number;
  suspects: number;
  /** Estimated number of wrong labels, and its share of `labels`. */
  estimatedWrong: number;
  share: number;
  thresholds: Record<string, number>;
  /** C[given][held-out confident], rows and columns in `classes` order. */
  joint: number[][];
}

export interface IdentityFace {
  faceId: number;
  imageId: number;
  relPath: string;
  split: string | null;
}

export interface IdentityReport {
  faces: number;
  threshold: number;
  duplicateThreshold: number;
  /**
   * Same-identity clusters of two or more faces: single linkage over pairs whose faceres descriptors, centred on
   * the dataset mean, have a cosine > threshold (0.4 by default: the same person across two demo photos 0.44,
   * different people of one photo at most 0.36).
   */
  clusters: { id: number; faces: IdentityFace[] }[];
  /** Byte-identical images (same sha256). */
  sameBytes: { sha256: string; images: { imageId: number; relPath: string }[] }[];
  /** Faces in different images that are near-identical (faceres descriptor cosine > duplicateThreshold). */
  nearDuplicates: { a: IdentityFace; b: IdentityFace; cosine: number }[];
  /** Clusters whose faces sit in more than one split (e.g. train and test). */
  leakage: { clusterId: number; splits: string[]; faces: IdentityFace[] }[];
}

/** The stored identity report of a dataset: an `identities` job computes it in the job process. */
export interface IdentityResult {
  /** The latest stored report (null before the first `identities` job ends). */
  report: IdentityReport | null;
  /** When that report was computed (ms since the epoch); null without one. */
  computedAt: number | null;
  /**
   * `fresh`: computed from today's faces, embeddings and splits with the thresholds asked for; `stale`: those
   * changed since (the report is the last one computed); `missing`: none yet.
   */
  state: 'fresh' | 'stale' | 'missing';
  /** The queued or running `identities` job that computes a fresh report, if any. */
  job: Job | null;
}

export type LearningApi = {
  /** Queues a training run of the learned heads (cross-validation, final fit, predictions) for a dataset. */
  'learning.train': {
    req: {
      datasetId: number;
      lambda?: number;
      embeddingModel?: LearningEmbedding;
      folds?: number;
      epochs?: number;
      decode?: boolean;
    };
    res: Job;
  };
  /** The model in use, its cross-validated metrics and the constraint rules it used. */
  'learning.report': { req: { datasetId: number }; res: LearningReport };
  /** Reads (only datasetId) or changes a dataset's learning settings. */
  'learning.settings': {
    req: {
      datasetId: number;
      retrainEvery?: number | null;
      lambda?: number;
      embeddingModel?: LearningEmbedding;
      decode?: boolean;
    };
    res: LearningSettings;
  };
  /**
   * The next unreviewed face; queues a retraining when `retrainEvery` new human labels arrived. `order`:
   * `wrong` (likely wrong labels first, then the useful order) or `useful`; default `wrong` when the dataset has
   * stored label-issue scores, else `useful`. The answer says which order it followed.
   */
  'learning.next': {
    req: { datasetId: number; exclude?: number[]; order?: 'wrong' | 'useful' };
    res: { item: RankedFace | null; retrainJob: Job | null; order: 'wrong' | 'useful' };
  };
  /**
   * Stored label issues of the latest training run, highest score first (cursor = offset): of one face
   * (`faceId`), one key, or the dataset; `suspects` keeps the confident-learning suspects only.
   */
  'learning.suspects': {
    req: {
      datasetId: number;
      faceId?: number;
      key?: string;
      suspects?: boolean;
      cursor?: number;
      limit?: number;
    };
    res: Page<LabelIssue>;
  };
  /** Estimated label noise per key from the latest training run (empty before one). */
  'learning.noise': { req: { datasetId: number }; res: { runId: string | null; keys: KeyNoise[] } };
  /** A page of the dataset's faces in active-review order (most useful first); the cursor is an offset. */
  'learning.ranking': { req: { datasetId: number; cursor?: number; limit?: number }; res: Page<RankedFace> };
  /**
   * Same-identity clusters, duplicate and near-duplicate images, and identities leaking across splits: the stored
   * report and its state. When it is not fresh (or `refresh`), an `identities` job is queued (one per dataset at
   * a time) and returned; read again when it ends.
   */
  'learning.identities': {
    req: { datasetId: number; threshold?: number; duplicateThreshold?: number; refresh?: boolean };
    res: IdentityResult;
  };
};
