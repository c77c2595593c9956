// One zod schema per job kind's stored params: the service writes them typed, each kind reads them back through
// the same schema (a row written by an older version, or by hand, is refused with the field that is wrong).
import { z } from 'zod';
import {
  ANNOTATION_FORMATS,
  EXECUTION_PROVIDERS,
  EXPORT_FORMATS,
  LEARNING_EMBEDDINGS,
  MLLM_TASKS,
  type JobKind,
} from '../../shared/api';
import { AppError } from '../../shared/errors';
import { batchSizeField, concurrencyField, mllmEndpoint, predictionSource } from '../../shared/schemas';
import type { JobRecord } from '../store/index';

export const jobParamSchemas = {
  analyze: z.object({
    force: z.boolean().default(false),
    imageIds: z.array(z.int().positive()).optional(),
    ep: z.enum(EXECUTION_PROVIDERS).default('auto'),
    concurrency: concurrencyField.optional(),
    batchSize: batchSizeField.optional(),
  }),
  annotations: z.object({
    format: z.enum(ANNOTATION_FORMATS),
    annotations: z.string().min(1),
    maxErrors: z.int().min(1).optional(),
    map: z.record(z.string(), z.string()).optional(),
  }),
  export: z.object({
    format: z.enum(EXPORT_FORMATS),
    out: z.string().min(1),
    reviewedOnly: z.boolean().optional(),
    includePredictions: z.boolean().optional(),
    predictionSource: predictionSource.optional(),
    overwrite: z.boolean().optional(),
    appVersion: z.string().optional(),
    seed: z.int().min(0).optional(),
  }),
  /** Settings of one training run; what is left out comes from the dataset's learning settings. */
  train: z.object({
    lambda: z.number().min(0).max(100).optional(),
    embeddingModel: z.enum(LEARNING_EMBEDDINGS).optional(),
    folds: z.int().min(2).max(20).optional(),
    epochs: z.int().min(1).max(500).optional(),
    decode: z.boolean().optional(),
    seed: z.int().optional(),
  }),
  identities: z.object({
    threshold: z.number().min(-1).max(1).optional(),
    duplicateThreshold: z.number().min(-1).max(1).optional(),
  }),
  /** The endpoint as saved when the audit was queued (its key is read by id, never stored here). */
  'mllm-audit': z.object({
    endpoint: mllmEndpoint,
    tasks: z.array(z.enum(MLLM_TASKS)).min(1),
    raceSet: z.enum(['utk', 'fairface']),
    scope: z.enum(['reviewed', 'all']).default('reviewed'),
    faceIds: z.array(z.int().positive()).optional(),
    retries: z.int().min(0).max(10).default(3),
    concurrency: concurrencyField.optional(),
  }),
  import: z.object({}),
  'reevaluate-rules': z.object({}),
} satisfies Record<JobKind, z.ZodType>;

type Kinds = keyof typeof jobParamSchemas;
export type JobParams<K extends Kinds> = z.output<(typeof jobParamSchemas)[K]>;
/** What the service stores: defaults may be left out. */
export type JobParamsInput<K extends Kinds> = z.input<(typeof jobParamSchemas)[K]>;

/** A job's params read through its kind's schema; `invalid_request` naming the field when they do not fit. */
export function jobParams<K extends Kinds>(kind: K, job: Pick<JobRecord, 'id' | 'params'>): JobParams<K> {
  const r = jobParamSchemas[kind].safeParse(job.params);
  if (r.success) return r.data as JobParams<K>;
  const issue = r.error.issues[0];
  const field = issue?.path.join('.') || undefined;
  throw new AppError(
    'invalid_request',
    `job ${job.id} (${kind}): params${field ? `.${field}` : ''}: ${issue?.message}`,
    {
      ...(field ? { where: { field } } : {}),
    },
  );
}

/** Typed params for `store.jobs.create`, checked against the schema before they are stored. */
export function checkedParams<K extends Kinds>(kind: K, params: JobParamsInput<K>): JobParamsInput<K> {
  jobParamSchemas[kind].parse(params);
  return params;
}
