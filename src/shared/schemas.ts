// Runtime validators for every request; main parses each request with these before any service code runs.
import { z } from 'zod';
import {
  FACE_CROPS_MODES,
  ANNOTATION_FORMATS,
  EXECUTION_PROVIDERS,
  EXPORT_FORMATS,
  FACE_SORTS,
  LEARNING_EMBEDDINGS,
  MLLM_TASKS,
  type Method,
  type Req,
} from './api';
import { AppError } from './errors';

const id = z.int().positive();
/** The app shows the double-review share in percent: the range check says both. */
const SHARE = 'expected a share from 0 to 1 (0 % to 100 %)';

/** Job tuning limits, one place for the API, the CLI, the stored job params and the runner. */
export const JOB_LIMITS = {
  /** Items in flight per job. */
  concurrency: { min: 1, max: 16 },
  /** Faces per model run, shared across the images in flight. */
  batchSize: { min: 1, max: 64 },
} as const;
export const concurrencyField = z.int().min(JOB_LIMITS.concurrency.min).max(JOB_LIMITS.concurrency.max);
export const batchSizeField = z.int().min(JOB_LIMITS.batchSize.min).max(JOB_LIMITS.batchSize.max);
const empty = z.strictObject({});
const reviewStatus = z.enum(['unreviewed', 'reviewed', 'flagged', 'skipped']);
const ruleKey = z
  .string()
  .regex(/^[a-z0-9-]+$/, 'rule ids are lowercase letters, digits and -')
  .max(100);

const faceFilter = {
  severity: z.enum(['error', 'warning']).optional(),
  attr: z
    .strictObject({
      key: z.string().min(1).max(64),
      source: z.enum(['label', 'prediction']).optional(),
      value: z.string().max(64).optional(),
      disagree: z.boolean().optional(),
      confMin: z.number().min(0).max(1).optional(),
      confMax: z.number().min(0).max(1).optional(),
    })
    .optional(),
  pair: z
    .strictObject({
      keys: z.tuple([z.string().min(1).max(64), z.string().min(1).max(64)]),
      source: z.enum(['labels', 'predictions']),
    })
    .optional(),
  unusualBelow: z.number().min(0).max(1).optional(),
  likelyWrong: z.boolean().optional(),
  suspectKey: z.string().min(1).max(64).optional(),
  mllmWrong: z.strictObject({ model: z.string().min(1).max(200), key: z.string().min(1).max(64) }).optional(),
  split: z.string().max(64).optional(),
  search: z.string().max(200).optional(),
  sort: z.enum(FACE_SORTS).optional(),
  desc: z.boolean().optional(),
  offset: z.int().nonnegative().optional(),
};
const faceQuery = z.strictObject({
  datasetId: id,
  imageId: id.optional(),
  review: reviewStatus.optional(),
  hasViolations: z.boolean().optional(),
  ruleKey: ruleKey.optional(),
  cursor: z.int().nonnegative().optional(),
  limit: z.int().min(1).max(1000).optional(),
  ...faceFilter,
});
const labelValueInput = z.union([z.string().max(64), z.number()]).nullable();
const savedView = z.strictObject({
  name: z.string().trim().min(1).max(100),
  query: faceQuery.omit({ datasetId: true, cursor: true, limit: true, imageId: true }),
});
/** A saved vision-LLM endpoint (issue #31); http(s) only, no credentials in the URL (the key is stored apart). */
export const mllmEndpoint = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'endpoint names are lowercase letters, digits, ".", "_" and "-"')
    .max(64),
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
    .max(2000)
    .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), 'put the API key in its own field, not in the URL')
    // A key in the query string would be stored with the URL (settings, job params): refused the same way.
    .refine(
      (u) => !/[?&][^=&]*(key|token|secret|password|auth)[^=&]*=/i.test(u),
      'put the API key in its own field, not in the URL',
    ),
  model: z.string().trim().min(1).max(200),
  timeoutMs: z.int().min(100).max(600_000),
  concurrency: z.int().min(1).max(16),
  rpm: z.int().min(0).max(100_000),
  imageSize: z.int().min(32).max(2048),
  structured: z.boolean(),
  wholeImage: z.boolean().optional(),
});

/** An export's source of predicted values: the face models, or one vision LLM's answers. */
export const predictionSource = z
  .string()
  .max(210)
  .regex(/^(models|mllm:.+)$/, 'expected "models" or "mllm:<model>"');

const appSettings = {
  ep: z.enum(EXECUTION_PROVIDERS),
  thresholds: z.record(z.string().min(1).max(64), z.number().min(0).max(1)),
  theme: z.enum(['light', 'dark', 'system']),
  views: z.array(savedView).max(200),
  confirmReviewedWithErrors: z.boolean(),
  mllmEndpoints: z.array(mllmEndpoint).max(50),
};

export const requestSchemas = {
  'app.info': empty,
  'datasets.create': z.strictObject({
    root: z.string().trim().min(1, 'a folder path is required').max(4096),
    name: z.string().trim().min(1).max(200).optional(),
  }),
  'datasets.list': empty,
  'datasets.get': z.strictObject({ id }),
  'datasets.rescan': z.strictObject({ id }),
  'datasets.setFaceCrops': z.strictObject({ id, faceCrops: z.enum(FACE_CROPS_MODES) }),
  'images.list': z.strictObject({
    datasetId: id,
    status: z.enum(['ok', 'error']).optional(),
    cursor: z.int().nonnegative().optional(),
    limit: z.int().min(1).max(1000).optional(),
  }),
  'jobs.list': z.strictObject({ datasetId: id.optional(), limit: z.int().min(1).max(500).optional() }),
  'jobs.get': z.strictObject({ id }),
  'jobs.cancel': z.strictObject({ id }),
  'jobs.pause': z.strictObject({ id }),
  'jobs.resume': z.strictObject({ id }),
  'jobs.retry': z.strictObject({ id }),
  'jobs.failures': z.strictObject({ id, limit: z.int().min(1).max(10_000).optional() }),
  'datasets.analyze': z.strictObject({
    datasetId: id,
    force: z.boolean().optional(),
    ep: z.enum(EXECUTION_PROVIDERS).optional(),
    concurrency: concurrencyField.optional(),
    /** Faces per model run, shared across the images in flight. */
    batchSize: batchSizeField.optional(),
  }),
  'images.analyze': z.strictObject({ imageId: id, ep: z.enum(EXECUTION_PROVIDERS).optional() }),
  'faces.list': faceQuery,
  'faces.get': z.strictObject({ id }),
  'labels.set': z.strictObject({
    faceId: id,
    key: z.string().min(1).max(64),
    value: z.union([z.string().max(64), z.number()]).nullable(),
    seenEventId: z.int().nonnegative().optional(),
  }),
  'rules.get': empty,
  'rules.check': z.strictObject({ text: z.string().max(1_000_000), datasetId: id.optional() }),
  'rules.set': z.strictObject({ text: z.string().max(1_000_000) }),
  'violations.list': z.strictObject({
    datasetId: id,
    ruleKey: ruleKey.optional(),
    severity: z.enum(['error', 'warning']).optional(),
    subject: z.enum(['labels', 'predictions', 'cross']).optional(),
    cursor: z.int().nonnegative().optional(),
    limit: z.int().min(1).max(1000).optional(),
  }),
  'violations.counts': z.strictObject({ datasetId: id }),
  'stats.cooccurrence': z.strictObject({ datasetId: id, source: z.enum(['labels', 'predictions']) }),
  'system.pickFolder': z.strictObject({ title: z.string().max(200).optional() }),
  'datasets.releases': z.strictObject({ datasetId: id }),
  'datasets.importAnnotations': z.strictObject({
    datasetId: id,
    format: z.enum(ANNOTATION_FORMATS),
    annotations: z.string().trim().min(1).max(4096).optional(),
    maxErrors: z.int().min(1).max(1000).optional(),
    map: z.record(z.string().min(1).max(64), z.string().min(1).max(256)).optional(),
  }),
  'exports.start': z.strictObject({
    datasetId: id,
    format: z.enum(EXPORT_FORMATS),
    out: z.string().trim().min(1, 'an output folder is required').max(4096),
    reviewedOnly: z.boolean().optional(),
    includePredictions: z.boolean().optional(),
    predictionSource: predictionSource.optional(),
    overwrite: z.boolean().optional(),
    seed: z.int().min(0).max(4_294_967_295).optional(),
  }),
  'jobs.report': z.strictObject({ id }),
  'labels.apply': z.strictObject({
    faceId: id,
    changes: z
      .array(
        z.strictObject({
          key: z.string().min(1).max(64),
          value: z.union([z.string().max(64), z.number()]).nullable(),
        }),
      )
      .min(1)
      .max(100),
    seenEventId: z.int().nonnegative().optional(),
  }),
  'labels.undo': z.strictObject({ faceId: id }),
  'labels.redo': z.strictObject({ faceId: id }),
  'reviews.set': z.strictObject({ faceIds: z.array(id).min(1).max(100_000), status: reviewStatus }),
  'faces.proposal': z.strictObject({ faceId: id }),
  'masks.save': z.strictObject({
    faceId: id,
    width: z.int().min(1).max(4096),
    height: z.int().min(1).max(4096),
    box: z.strictObject({ x: z.number(), y: z.number(), w: z.number().positive(), h: z.number().positive() }),
    // [classId, count, classId, count, ...]; main checks the counts cover width × height exactly.
    runs: z.array(z.int().nonnegative()).min(2).max(2_000_000),
  }),
  'datasets.stats': z.strictObject({ datasetId: id.optional() }),
  'faces.facets': faceQuery,
  'labels.bulkSet': z.strictObject({
    faceIds: z.array(id).min(1).max(100_000),
    key: z.string().min(1).max(64),
    value: labelValueInput,
  }),
  'stats.agreement': z.strictObject({ datasetId: id }),
  'team.me': empty,
  'team.settings': z.strictObject({
    datasetId: id,
    doubleReview: z.number().min(0, SHARE).max(1, SHARE).optional(),
  }),
  'team.agreement': z.strictObject({ datasetId: id }),
  'team.takeOver': z.strictObject({ faceId: id }),
  'settings.get': empty,
  'connection.get': empty,
  'connection.set': z.strictObject({
    server: z
      .strictObject({
        url: z.string().trim().min(1, 'the team server URL is required').max(2048),
        token: z.string().trim().min(1, 'a personal token is required').max(512),
      })
      .nullable(),
  }),
  'settings.set': z.strictObject({
    ep: appSettings.ep.optional(),
    thresholds: appSettings.thresholds.optional(),
    theme: appSettings.theme.optional(),
    views: appSettings.views.optional(),
    confirmReviewedWithErrors: appSettings.confirmReviewedWithErrors.optional(),
    mllmEndpoints: appSettings.mllmEndpoints.optional(),
  }),
  'learning.train': z.strictObject({
    datasetId: id,
    lambda: z.number().min(0).max(100).optional(),
    embeddingModel: z.enum(LEARNING_EMBEDDINGS).optional(),
    folds: z.int().min(2).max(20).optional(),
    epochs: z.int().min(1).max(500).optional(),
    decode: z.boolean().optional(),
  }),
  'learning.report': z.strictObject({ datasetId: id }),
  'learning.settings': z.strictObject({
    datasetId: id,
    retrainEvery: z.int().min(1).max(1_000_000).nullable().optional(),
    lambda: z.number().min(0).max(100).optional(),
    embeddingModel: z.enum(LEARNING_EMBEDDINGS).optional(),
    decode: z.boolean().optional(),
  }),
  'learning.next': z.strictObject({
    datasetId: id,
    exclude: z.array(id).max(10_000).optional(),
    order: z.enum(['wrong', 'useful']).optional(),
  }),
  'learning.ranking': z.strictObject({
    datasetId: id,
    cursor: z.int().nonnegative().optional(),
    limit: z.int().min(1).max(1000).optional(),
  }),
  'learning.identities': z.strictObject({
    datasetId: id,
    threshold: z.number().min(-1).max(1).optional(),
    duplicateThreshold: z.number().min(-1).max(1).optional(),
    refresh: z.boolean().optional(),
  }),
  'learning.suspects': z.strictObject({
    datasetId: id,
    faceId: id.optional(),
    key: z.string().min(1).max(100).optional(),
    suspects: z.boolean().optional(),
    cursor: z.int().nonnegative().optional(),
    limit: z.int().min(1).max(1000).optional(),
  }),
  'learning.noise': z.strictObject({ datasetId: id }),
  'mllm.endpoints': empty,
  'mllm.saveEndpoint': z.strictObject({
    endpoint: mllmEndpoint,
    apiKey: z.string().min(1).max(4096).nullable().optional(),
  }),
  'mllm.deleteEndpoint': z.strictObject({ id: z.string().min(1).max(64) }),
  'mllm.audit': z.strictObject({
    datasetId: id,
    endpointId: z.string().min(1).max(64),
    tasks: z.array(z.enum(MLLM_TASKS)).min(1).optional(),
    scope: z.enum(['reviewed', 'all']).optional(),
    faceIds: z.array(id).min(1).max(100_000).optional(),
    retries: z.int().min(0).max(10).optional(),
  }),
  'mllm.report': z.strictObject({ datasetId: id }),
} satisfies { [M in Method]: z.ZodType<Req<M>> };

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.hasOwn(requestSchemas, name);
}

/** Parses a request for `method`; throws `invalid_request` naming the first offending field. */
export function parseRequest<M extends Method>(method: M, input: unknown): Req<M> {
  const schema = requestSchemas[method] as z.ZodType<Req<M>>;
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  const message = issue
    ? `${method}: ${field ? `${field}: ` : ''}${issue.message}`
    : `${method}: invalid request`;
  throw new AppError('invalid_request', message, field ? { where: { field } } : {});
}

/** Looks a method name up, rejecting unknown ones with `invalid_request`. */
export function requireMethod(name: unknown): Method {
  if (!isMethod(name))
    throw new AppError('invalid_request', `unknown method: ${String(name)}`, { where: { field: 'method' } });
  return name;
}
