// THE contract between renderer and main: every method's request/response and every event, transport-neutral.
import type { AppErrorData } from './errors';

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, null on the last page. */
  nextCursor: number | null;
  /** Count of all rows matching the query (not just this page). */
  total: number;
}

export type DatasetFormat = 'folder';

/**
 * "Images are face crops" (UTKFace, CelebA aligned, FER, RAF-DB aligned): 'on' pads each image with grey before
 * detection, keeps one face per image and takes the whole image as the face where no detection passes; 'off'
 * analyses images as photos; 'auto' (the default) is on when most of the dataset's images are small (see
 * FACE_CROP_MAX_SIDE). Importers of crop datasets set 'on'.
 */
export type FaceCropsMode = 'auto' | 'on' | 'off';
export const FACE_CROPS_MODES = ['auto', 'on', 'off'] as const satisfies readonly FaceCropsMode[];

export interface Dataset {
  id: number;
  name: string;
  /** Absolute root folder; identifies the dataset. */
  root: string;
  format: DatasetFormat;
  /** "Images are face crops" mode (FaceCropsMode). */
  faceCrops: FaceCropsMode;
  createdAt: number;
  imageCount: number;
  errorCount: number;
}

export type ImageStatus = 'ok' | 'error';

export interface ImageSummary {
  id: number;
  datasetId: number;
  relPath: string;
  sha256: string | null;
  width: number | null;
  height: number | null;
  status: ImageStatus;
  error: string | null;
  /** Number of other images in the dataset with the same bytes (never merged). */
  duplicates: number;
}

export type JobKind =
  'import' | 'annotations' | 'export' | 'reevaluate-rules' | 'analyze' | 'train' | 'identities';

/** Dataset annotation formats the importer reads and the exporter writes back. */
export const ANNOTATION_FORMATS = [
  'celeba',
  'celebamask-hq',
  'fairface',
  'utkface',
  'rafdb',
  'expw',
  'csv',
  'json',
] as const;
export type AnnotationFormat = (typeof ANNOTATION_FORMATS)[number];
/** Export layouts: the dataset formats plus COCO-style JSON, mask PNGs and MLLM instruction JSONL. */
export const EXPORT_FORMATS = [...ANNOTATION_FORMATS, 'coco', 'masks', 'instructions'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What an annotations or export job found: refusing errors, skipped-row warnings (file, line), files written. */
export interface JobReport {
  errors: AppErrorData[];
  warnings: AppErrorData[];
  warningCount: number;
  files: string[];
  counts: Record<string, number>;
}
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where inference runs: `auto` picks a verified GPU provider, else CPU. */
export const EXECUTION_PROVIDERS = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export type ExecutionProviderRequest = (typeof EXECUTION_PROVIDERS)[number];

export type ReviewStatus = 'unreviewed' | 'reviewed' | 'flagged' | 'skipped';
export type FaceSource = 'detected' | 'imported';
export type Severity = 'error' | 'warning';
export type ViolationSubject = 'labels' | 'predictions' | 'cross';

export interface FaceSummary {
  id: number;
  imageId: number;
  datasetId: number;
  relPath: string;
  idx: number;
  box: Box;
  detScore: number | null;
  source: FaceSource;
  review: ReviewStatus;
  /** Open violations of this face (all subjects), and how many of them are `error` rules. */
  violations: number;
  errors: number;
  /** `faces.list` only: compact values for the tile (gender, age, race, expression), labels before predictions. */
  chips?: FaceChip[];
}

/** One value shown on a face tile: the effective label, else the best prediction (with its confidence). */
export interface FaceChip {
  key: string;
  value: string;
  source: 'label' | 'prediction';
  conf?: number;
}

/** One label key of a face: the human value beside the imported one; effective = human, else import. */
export interface LabelEntry {
  key: string;
  human: string | null;
  imported: string | null;
  effective: string | null;
}

export interface PredictionEntry {
  modelId: string;
  modelVersion: string;
  task: string;
  source: 'model' | 'derived' | 'learned' | 'import';
  value: unknown;
}

export interface MaskEntry {
  source: 'derived' | 'model' | 'import' | 'human';
  version: number;
  box: Box;
  classes: string[] | null;
  areas: Record<string, number> | null;
}

export interface FixChange {
  key: string;
  from: string | number;
  to: string | number;
}

export interface ViolationEntry {
  id: number;
  faceId: number;
  imageId: number;
  relPath: string;
  ruleKey: string;
  severity: Severity;
  subject: ViolationSubject;
  explanation: string;
  rationale: string | null;
  values: { key: string; value: string | number; source: 'label' | 'prediction' | 'mask' }[];
  /** Minimal sets of label changes that satisfy the rule, cheapest first. */
  fixes: { changes: FixChange[]; cost: number }[];
}

export interface LabelEventEntry {
  id: number;
  key: string;
  old: string | null;
  new: string | null;
  actor: string;
  at: number;
}

export interface FaceDetail {
  face: FaceSummary & { imageWidth: number | null; imageHeight: number | null };
  /** 468 × (x, y, z) in image pixels, flattened; null when the face has none. */
  landmarks: number[] | null;
  labels: LabelEntry[];
  predictions: PredictionEntry[];
  masks: MaskEntry[];
  embeddings: { modelId: string; dims: number }[];
  violations: ViolationEntry[];
  history: LabelEventEntry[];
}

export interface RuleEntry {
  key: string;
  severity: Severity;
  text: string;
  enabled: boolean;
}

export interface RulesState {
  /** The rule file: one rule per line, disabled ones as `#off <rule>`. */
  text: string;
  /** sha256 of the enabled rules' text (recorded in export provenance). */
  hash: string;
  rules: RuleEntry[];
}

export interface RuleCount {
  ruleKey: string;
  severity: Severity;
  subject: ViolationSubject;
  violations: number;
  faces: number;
}

export interface Cooccurrence {
  keys: string[];
  /** n_i: faces where attribute i is present (and j known, per pair: see `pairN`). */
  n: number[];
  /** Row-major k×k: m_ij = faces with both i and j present. */
  m: number[];
  /** Row-major k×k: p_ij = m_ij / n_ij, null where n_ij is 0. */
  p: (number | null)[];
  /** Row-major k×k: n_ij = faces with i present and j known. */
  pairN: number[];
  faces: number;
}

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

export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface Job {
  id: number;
  kind: JobKind;
  datasetId: number | null;
  state: JobState;
  done: number;
  total: number;
  /** Items that ended in an error (e.g. undecodable images). */
  failed: number;
  error: string | null;
  /** Kind-specific counters, e.g. `{ added, unchanged, errors, skipped }` for an import. */
  summary: Record<string, number>;
  createdAt: number;
  updatedAt: number;
}

export interface AppInfo {
  version: string;
  mode: 'electron' | 'browser';
  dataDir: string;
  dbPath: string;
  /** Folder with the bundled sample photos, or null when they were not built. */
  samplesDir: string | null;
  /** True when the host can show a native folder picker (`system.pickFolder`). */
  canPickFolder: boolean;
}

/** The gallery's extra filters (all optional; defaults omitted): plain data, kept in the URL and in saved views. */
export interface FaceFilter {
  /** Faces with an open violation of this severity. */
  severity?: Severity;
  /** One attribute (CelebA name or gender / age / age_bucket / race / expression) to filter or sort on. */
  attr?: {
    key: string;
    /** Whose value `value` matches: the effective label (default) or the prediction. */
    source?: 'label' | 'prediction';
    /** The value as the taxonomy spells it (`1` / `-1` for CelebA); `?` = no value. */
    value?: string;
    /** Only faces whose effective label and prediction both exist and differ. */
    disagree?: boolean;
    /** Prediction confidence band [confMin, confMax) of the predicted value. */
    confMin?: number;
    confMax?: number;
  };
  /** Faces where both CelebA attributes are present (+1), in the effective labels or the predictions. */
  pair?: { keys: [string, string]; source: 'labels' | 'predictions' };
  /** Faces whose rarest positive label pair has p below this (co-occurrence over the dataset's labels). */
  unusualBelow?: number;
  /** Only faces with a label confident learning flags (stored by the latest training run). */
  likelyWrong?: boolean;
  /** Only faces whose label of this key is a suspect (Stats' noise counts link here). */
  suspectKey?: string;
  /** Image split; `''` = images without one. */
  split?: string;
  /** Case-insensitive substring of the image's relative path. */
  search?: string;
  sort?: FaceSort;
  desc?: boolean;
  /** Row offset (random access for the virtualised grid); with it, `nextCursor` is the next offset. */
  offset?: number;
}
/** `wrong`: "likely wrong labels" first, by each face's highest stored label-issue score (unscored faces last). */
export const FACE_SORTS = ['id', 'file', 'violations', 'confidence', 'unusual', 'useful', 'wrong'] as const;
export type FaceSort = (typeof FACE_SORTS)[number];
/** The whole gallery query as data. */
export type FaceQuery = Api['faces.list']['req'];

/** Live counts beside the gallery's filters: each facet counted under every other active filter. */
export interface FaceFacets {
  total: number;
  review: Record<string, number>;
  severity: Record<string, number>;
  rules: Record<string, number>;
  splits: Record<string, number>;
  withViolations: number;
  /** Values of `attr.key` (label and prediction) when the query has one. */
  labelValues: Record<string, number>;
  predictionValues: Record<string, number>;
  disagree: number;
  unusual: number;
}

/** Per-dataset counters for the library. */
export interface DatasetStats {
  datasetId: number;
  images: number;
  errors: number;
  faces: number;
  reviewed: number;
  /** Open violations and the faces that have at least one. */
  violations: number;
  facesWithViolations: number;
  analyzed: number;
}

/** Model-vs-label agreement of one attribute over faces that have both. */
export interface AttributeAgreement {
  key: string;
  /** Effective labels: count per value. */
  labels: Record<string, number>;
  /** Faces with both a label and a prediction. */
  n: number;
  accuracy: number | null;
  balancedAccuracy: number | null;
  /** F1 of the positive class (`1`) for binary attributes, macro F1 otherwise. */
  f1: number | null;
}

export interface ConfusionMatrix {
  key: string;
  classes: string[];
  /** Row-major: rows = label, columns = prediction. */
  counts: number[];
}

/** The provider decision of this machine (null before the first analysis) and, where a GPU is used, per model. */
export interface EpStatus {
  active: string | null;
  reason: string | null;
  at: number | null;
  /** Per-model decisions of `auto` on a GPU (a model may stay on CPU); empty when every model runs on `active`. */
  models: { id: string; provider: string; reason: string }[];
}

export interface AppSettings {
  ep: ExecutionProviderRequest;
  /** Per-attribute decision thresholds on P(+1) (default 0.5). */
  thresholds: Record<string, number>;
  theme: 'light' | 'dark' | 'system';
  /** Named gallery views (FaceQuery without datasetId). */
  views: {
    name: string;
    query: FaceFilter & { review?: ReviewStatus; hasViolations?: boolean; ruleKey?: string };
  }[];
  /** Enter on a face with open error violations shows them and needs a second Enter (default true). */
  confirmReviewedWithErrors?: boolean;
}

export type Api = {
  /** Version, mode, data locations and host capabilities. */
  'app.info': { req: Record<string, never>; res: AppInfo };
  /** Creates a dataset from a folder (or finds the one with that root) and starts its import job. */
  'datasets.create': { req: { root: string; name?: string }; res: { dataset: Dataset; job: Job } };
  /** All datasets with their image counts. */
  'datasets.list': { req: Record<string, never>; res: { items: Dataset[] } };
  /** One dataset. */
  'datasets.get': { req: { id: number }; res: Dataset };
  /** Re-walks a dataset's folder: new files are added, known ones left alone. */
  'datasets.rescan': { req: { id: number }; res: Job };
  /**
   * Sets a dataset's "images are face crops" mode; the next `datasets.analyze` re-analyses the images whose mode it
   * changes (the mode is part of their analysis key).
   */
  'datasets.setFaceCrops': { req: { id: number; faceCrops: FaceCropsMode }; res: Dataset };
  /** A page of a dataset's images in import order (an import walks paths sorted). */
  'images.list': {
    req: { datasetId: number; status?: ImageStatus; cursor?: number; limit?: number };
    res: Page<ImageSummary>;
  };
  /** Recent jobs, newest first. */
  'jobs.list': { req: { datasetId?: number; limit?: number }; res: { items: Job[] } };
  /** One job. */
  'jobs.get': { req: { id: number }; res: Job };
  /** A job's failed items with their reasons (file paths for import and analyze jobs). */
  'jobs.failures': {
    req: { id: number; limit?: number };
    res: { items: { key: string; label: string; error: string | null }[] };
  };
  /** Pauses a queued or running job after the items in flight; `jobs.resume` continues it. */
  'jobs.pause': { req: { id: number }; res: Job };
  /** Continues a paused job (or a failed one's remaining items). */
  'jobs.resume': { req: { id: number }; res: Job };
  /** Asks a queued or running job to stop after the item in flight. */
  'jobs.cancel': { req: { id: number }; res: Job };
  /**
   * Runs a failed, cancelled or unfinished job again: its failed and pending items are processed anew with their
   * attempts reset (an item is given up after 3 claims that each ended with its job process dying).
   */
  'jobs.retry': { req: { id: number }; res: Job };
  /** Queues analysis of a dataset's images not yet analysed with the current models (all with `force`). */
  'datasets.analyze': {
    req: {
      datasetId: number;
      force?: boolean;
      ep?: ExecutionProviderRequest;
      concurrency?: number;
      batchSize?: number;
    };
    res: Job;
  };
  /** Re-runs analysis of one image now (the review screen's "re-run"); human labels and masks stay. */
  'images.analyze': { req: { imageId: number; ep?: ExecutionProviderRequest }; res: Job };
  /** A page of a dataset's faces (optionally one image's), in id order, with review status and violation counts. */
  'faces.list': {
    req: {
      datasetId: number;
      imageId?: number;
      review?: ReviewStatus;
      hasViolations?: boolean;
      ruleKey?: string;
      cursor?: number;
      limit?: number;
    } & FaceFilter;
    res: Page<FaceSummary>;
  };
  /** Everything about one face: box, landmarks, labels, predictions, masks, violations, recent history. */
  'faces.get': { req: { id: number }; res: FaceDetail };
  /** Sets (or with null clears, back to the imported value) a human label; returns the face, re-checked. */
  'labels.set': { req: { faceId: number; key: string; value: string | number | null }; res: FaceDetail };
  /** The rule set (the database is its source of truth). */
  'rules.get': { req: Record<string, never>; res: RulesState };
  /** Parses a rules file without saving: errors with line / column, and faces each rule would flag. */
  'rules.check': {
    req: { text: string; datasetId?: number };
    res: { errors: AppErrorData[]; rules: (RuleEntry & { flagged: number | null })[] };
  };
  /** Replaces the rule set (refused whole on any parse error) and re-evaluates every dataset as jobs. */
  'rules.set': { req: { text: string }; res: { rules: RulesState; jobs: Job[] } };
  /** A page of a dataset's violations, filtered. */
  'violations.list': {
    req: {
      datasetId: number;
      ruleKey?: string;
      severity?: Severity;
      subject?: ViolationSubject;
      cursor?: number;
      limit?: number;
    };
    res: Page<ViolationEntry>;
  };
  /** Violations and faces per rule and subject. */
  'violations.counts': { req: { datasetId: number }; res: { items: RuleCount[] } };
  /** Co-occurrence of the CelebA attributes over labels or predictions (p_ij = m_ij / n_i). */
  'stats.cooccurrence': {
    req: { datasetId: number; source: 'labels' | 'predictions' };
    res: Cooccurrence;
  };
  /** Native folder picker (Electron); resolves `{ path: null }` when cancelled. */
  'system.pickFolder': { req: { title?: string }; res: { path: string | null } };
  /**
   * Known release files (list_attr_celeba.txt, fairface_label_*.csv, ...) in a dataset's folder or its parent,
   * one per format, most specific first: what the library offers to import. `source` goes to importAnnotations.
   */
  'datasets.releases': {
    req: { datasetId: number };
    res: { items: { format: AnnotationFormat; source: string; file: string }[] };
  };
  /** Queues an annotation import (validated whole first; refused files write nothing) into a dataset. */
  'datasets.importAnnotations': {
    req: {
      datasetId: number;
      format: AnnotationFormat;
      annotations?: string;
      maxErrors?: number;
      /** `csv`: label key (or file, split, x, y, w, h) -> the column holding it. */
      map?: Record<string, string>;
    };
    res: Job;
  };
  /** Queues an export of a dataset's effective labels (human > import [> prediction]) into a folder. */
  'exports.start': {
    req: {
      datasetId: number;
      format: ExportFormat;
      out: string;
      reviewedOnly?: boolean;
      includePredictions?: boolean;
      overwrite?: boolean;
      /** `instructions`: seed of the phrasing choices (same seed, same output). */
      seed?: number;
    };
    res: Job;
  };
  /** An annotations or export job's report (null while it runs or for other kinds). */
  'jobs.report': { req: { id: number }; res: { report: JobReport | null } };
  /** Applies several human label changes (null clears) as one undoable step in one transaction; re-checked. */
  'labels.apply': { req: { faceId: number; changes: LabelChange[] }; res: FaceDetail };
  /** Reverts the face's latest label step not yet undone (server-side history: survives reloads). */
  'labels.undo': { req: { faceId: number }; res: FaceDetail };
  /** Re-applies the latest undone step; any new edit after an undo clears what can be redone. */
  'labels.redo': { req: { faceId: number }; res: FaceDetail };
  /** Sets the review status of one or many faces. */
  'reviews.set': { req: { faceIds: number[]; status: ReviewStatus }; res: { updated: number } };
  /** The consistent decoding of a face's predictions (known labels held fixed), as changes to its labels. */
  'faces.proposal': { req: { faceId: number }; res: LabelProposal };
  /** Saves a painted label map (run-length encoded canonical class ids over `box`) as a new `human` mask. */
  'masks.save': {
    req: { faceId: number; width: number; height: number; box: Box; runs: number[] };
    res: FaceDetail;
  };
  /** Library counters per dataset (images, faces, reviewed, open violations). */
  'datasets.stats': { req: { datasetId?: number }; res: { items: DatasetStats[] } };
  /** Live counts for the gallery's filter sidebar under the given query. */
  'faces.facets': { req: FaceQuery; res: FaceFacets };
  /** Sets (or clears) one human label on many faces in one transaction, re-checking each face. */
  'labels.bulkSet': {
    req: { faceIds: number[]; key: string; value: string | number | null };
    res: { updated: number };
  };
  /** Label distribution, model-vs-label agreement and confusion matrices of a dataset. */
  'stats.agreement': {
    req: { datasetId: number };
    res: { faces: number; attributes: AttributeAgreement[]; confusions: ConfusionMatrix[] };
  };
  /** The app settings and the execution provider decision of this machine. */
  'settings.get': {
    req: Record<string, never>;
    res: { settings: AppSettings; ep: EpStatus };
  };
  /** Changes some settings (merged, validated, written atomically). */
  'settings.set': { req: Partial<AppSettings>; res: { settings: AppSettings } };
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

/** One label change of a `labels.apply` step: a value, or null to clear the human label. */
export interface LabelChange {
  key: string;
  value: string | number | null;
}

/** `faces.proposal`: the keys whose decoded value differs from the effective label, with P(value). */
export interface LabelProposal {
  faceId: number;
  changes: { key: string; from: string | number | null; to: string | number; p: number | null }[];
  /** Sum of log P over the decoded keys (higher is more probable). */
  logProb: number;
}

export type Method = keyof Api;
export type Req<M extends Method> = Api[M]['req'];
export type Res<M extends Method> = Api[M]['res'];

export type Events = {
  /** A job's counters or state changed. */
  'jobs.progressed': {
    jobId: number;
    kind: JobKind;
    state: JobState;
    done: number;
    total: number;
    failed: number;
    /** Items per second over the last few seconds (null until measurable). */
    rate: number | null;
    /** Seconds left at that rate (null when unknown). */
    etaSeconds: number | null;
  };
  /** A dataset's images changed (import progress, rescan). */
  'datasets.updated': { datasetId: number };
};
export type EventName = keyof Events;

/** Assets travel as URLs, never as base64. */
export type AssetKind = 'image' | 'thumb' | 'face' | 'mask';

export interface ApiClient {
  call<M extends Method>(method: M, req: Req<M>): Promise<Res<M>>;
  on<E extends EventName>(event: E, fn: (payload: Events[E]) => void): () => void;
  /**
   * URL the renderer can put in an <img src> (image, thumb, face crop) or fetch (mask PNG; params: source,
   * version). `face` and `mask` take a face id.
   */
  assetUrl(kind: AssetKind, id: number, params?: Record<string, string | number>): string;
}

export const METHODS = [
  'app.info',
  'datasets.create',
  'datasets.list',
  'datasets.get',
  'datasets.rescan',
  'datasets.setFaceCrops',
  'images.list',
  'jobs.list',
  'jobs.get',
  'jobs.cancel',
  'jobs.pause',
  'jobs.resume',
  'jobs.retry',
  'jobs.failures',
  'system.pickFolder',
  'datasets.analyze',
  'images.analyze',
  'faces.list',
  'faces.get',
  'labels.set',
  'rules.get',
  'rules.check',
  'rules.set',
  'violations.list',
  'violations.counts',
  'stats.cooccurrence',
  'datasets.releases',
  'datasets.importAnnotations',
  'exports.start',
  'jobs.report',
  'labels.apply',
  'labels.undo',
  'labels.redo',
  'reviews.set',
  'faces.proposal',
  'masks.save',
  'datasets.stats',
  'faces.facets',
  'labels.bulkSet',
  'stats.agreement',
  'settings.get',
  'settings.set',
  'learning.train',
  'learning.report',
  'learning.settings',
  'learning.next',
  'learning.ranking',
  'learning.identities',
  'learning.suspects',
  'learning.noise',
] as const satisfies readonly Method[];

export const EVENTS = ['jobs.progressed', 'datasets.updated'] as const satisfies readonly EventName[];
