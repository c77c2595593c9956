// One face and the gallery of faces: summaries, details, filters, label edits; faces.*, labels.*, reviews.*, masks.*.
import type { Box, FaceSource, Page, ReviewStatus, Severity } from './common';
import type { MllmAnswer } from './mllm';
import type { ViolationEntry } from './rules';

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

export interface LabelEventEntry {
  id: number;
  key: string;
  old: string | null;
  new: string | null;
  actor: string;
  at: number;
}

/** A review status a person set on the face in team mode (`review_events`), with the labels they signed off. */
export interface ReviewEventEntry {
  id: number;
  actor: string;
  status: ReviewStatus;
  /** The face's effective labels when they set it (key -> stored text). */
  labels: Record<string, string>;
  at: number;
}

/** An admin taking the face over from a reviewer who held it (team mode: `team.takeOver`). */
export interface TakeOverEntry {
  id: number;
  /** The admin who took the face over. */
  actor: string;
  /** The reviewer whose claim ended. */
  from: string;
  at: number;
}

/** A reviewer holding the face (team mode: handed out by `learning.next`) while the lease runs. */
export interface FaceClaim {
  user: string;
  /** When the lease runs out (ms); each edit of the holder renews it. */
  until: number;
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
  /** Review statuses people set (team mode), oldest first; History interleaves them with `history` by time. */
  reviews: ReviewEventEntry[];
  /** Take-overs of the face (team mode), oldest first; History interleaves them like `reviews`. */
  takeOvers: TakeOverEntry[];
  /**
   * Live claims on the face (team mode). An edit by anyone else is refused with `conflict` naming the holder until
   * the holder sets a status or the lease runs out; an admin may take the face over (`team.takeOver`).
   */
  claims: FaceClaim[];
  /** Answers of vision LLMs (the `mllm-audit` job), one per model and key. */
  mllm: MllmAnswer[];
  /** The newest `label_events` id of this face (0: none): an edit sends it back as `seenEventId`. */
  lastEventId: number;
}

/**
 * A label an edit overwrote although the editor had not seen its latest value (another reviewer changed it after
 * the editor's `seenEventId`): the edit still applies (the later one wins) and both stay in the history.
 */
export interface StaleLabel {
  key: string;
  /** The value the editor's view showed (null: no human value). */
  seen: string | null;
  /** The value this edit replaced, and who set it when. */
  overwritten: string | null;
  by: string;
  at: number;
}

/** What a label edit answers: the face, re-checked, and the labels it overwrote unseen (empty: the view was current). */
export type LabelEditResult = FaceDetail & { stale: StaleLabel[] };

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
  /** Only faces whose verified label of `key` this MLLM answered differently (Stats -> MLLM audit links here). */
  mllmWrong?: { model: string; key: string };
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
export type FaceQuery = FacesApi['faces.list']['req'];

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

export type FacesApi = {
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
  'labels.set': {
    req: {
      faceId: number;
      key: string;
      value: string | number | null;
      /** The face's `lastEventId` as the editor saw it; a newer edit of the key is then reported as `stale`. */
      seenEventId?: number;
    };
    res: LabelEditResult;
  };
  /** Applies several human label changes (null clears) as one undoable step in one transaction; re-checked. */
  'labels.apply': {
    req: { faceId: number; changes: LabelChange[]; seenEventId?: number };
    res: LabelEditResult;
  };
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
  /** Live counts for the gallery's filter sidebar under the given query. */
  'faces.facets': { req: FaceQuery; res: FaceFacets };
  /** Sets (or clears) one human label on many faces in one transaction, re-checking each face. */
  'labels.bulkSet': {
    req: { faceIds: number[]; key: string; value: string | number | null };
    res: { updated: number };
  };
};
