// Vision LLMs as auditors and annotators (issue #31): endpoints, the audit job and its report; mllm.*.
import type { Job } from './jobs';

/** An OpenAI-compatible chat-completions endpoint that takes images. Its API key is never part of this. */
export interface MllmEndpoint {
  /** Short name, unique among the saved endpoints (lowercase letters, digits, `-`, `_`, `.`). */
  id: string;
  /** Base URL up to `/v1`, e.g. `http://127.0.0.1:11434/v1` (Ollama); `/chat/completions` is appended. */
  baseUrl: string;
  /** Model name as the server spells it (`llava:7b`); answers are stored with source `mllm:<model>`. */
  model: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests started per minute at most (0 = no limit). */
  rpm: number;
  /** Longest side of the face crop sent, in pixels. */
  imageSize: number;
  /** Ask for JSON with a schema (`response_format: json_schema`); off: "answer with one word". */
  structured: boolean;
  /** Also send the whole photo with the face boxed in red, after the crop (default off). */
  wholeImage?: boolean;
}

/** A saved endpoint as the API shows it: whether a key is stored, never the key. */
export interface MllmEndpointInfo extends MllmEndpoint {
  hasKey: boolean;
}

/** The task groups of the question bank. */
export const MLLM_TASKS = ['celeba', 'gender', 'age', 'expression', 'race'] as const;
export type MllmTask = (typeof MLLM_TASKS)[number];

/** One stored answer of a model about one face (the latest per face, model and key). */
export interface MllmAnswer {
  /** `mllm:<model>`. */
  source: string;
  model: string;
  endpoint: string;
  /** The label key asked about (CelebA name, gender, age, expression, race). */
  key: string;
  /** Template id and version, e.g. `celeba.has@1`. */
  template: string;
  /** The parsed value as the taxonomy spells it (`1` / `-1`, `Male`, years), null when unparsed or failed. */
  value: string | null;
  status: 'ok' | 'unparsed' | 'error';
  /** The model's raw text (or the request's error). */
  raw: string | null;
  latencyMs: number | null;
  createdAt: number;
}

/** One key's agreement of one model with the verified labels. */
export interface MllmKeyMetrics {
  key: string;
  /** Faces asked about this key that have a verified label. */
  n: number;
  /** Of those, answers that parsed. */
  parsed: number;
  unparsed: number;
  /** Requests that failed (after retries, or timed out). */
  errors: number;
  /** Over parsed answers; null when none. */
  accuracy: number | null;
  balancedAccuracy: number | null;
  /** F1 of the positive class for yes / no keys, macro F1 otherwise. */
  f1: number | null;
  /** unparsed / (parsed + unparsed). */
  unparsedRate: number | null;
}

/** A model's answers against the rules: FaceInsight's logical consistency. */
export interface MllmConsistency {
  /** Faces with at least one parsed answer. */
  faces: number;
  /** Faces whose answers alone break at least one enabled `error` rule. */
  violating: number;
  /** violating / faces (null without faces). */
  rate: number | null;
  /** Rules broken most, most faces first. */
  rules: { ruleId: string; faces: number }[];
}

export interface MllmModelReport {
  model: string;
  source: string;
  /** Faces with an answer from this model. */
  faces: number;
  answers: number;
  /** Request latency over the answers that were asked (cache hits keep the first request's time). */
  latencyMs: { p50: number | null; p95: number | null };
  keys: MllmKeyMetrics[];
  consistency: MllmConsistency;
  /** Rows = verified label, columns = the model's answer (unparsed answers not counted). */
  confusions: { key: string; classes: string[]; counts: number[] }[];
}

export interface MllmReport {
  datasetId: number;
  /** Faces whose labels count as verified (reviewed). */
  verifiedFaces: number;
  models: MllmModelReport[];
}

export type MllmApi = {
  /** The saved endpoints (with whether each has a key stored). */
  'mllm.endpoints': { req: Record<string, never>; res: { items: MllmEndpointInfo[] } };
  /**
   * Saves (adds or replaces by id) an endpoint. `apiKey`: a string stores it outside the database, null
   * deletes it, left out keeps the stored one.
   */
  'mllm.saveEndpoint': {
    req: { endpoint: MllmEndpoint; apiKey?: string | null };
    res: { items: MllmEndpointInfo[] };
  };
  /** Deletes a saved endpoint and its stored key. */
  'mllm.deleteEndpoint': { req: { id: string }; res: { items: MllmEndpointInfo[] } };
  /**
   * Queues an `mllm-audit` job: asks the endpoint's model about each chosen face. Faces: `faceIds`, else the
   * reviewed faces (`scope: 'reviewed'`, the default) or all faces; tasks default to all of them.
   */
  'mllm.audit': {
    req: {
      datasetId: number;
      endpointId: string;
      tasks?: MllmTask[];
      scope?: 'reviewed' | 'all';
      faceIds?: number[];
      /** Attempts after the first on 429, 5xx, a network error or a timeout (default 3). */
      retries?: number;
    };
    res: Job;
  };
  /** Per model: metrics against the verified labels, consistency with the rules, latency, confusions. */
  'mllm.report': { req: { datasetId: number }; res: MllmReport };
};
