// Runtime validators for every request; main parses each request with these before any service code runs.
import { z } from 'zod';
import type { Method, Req } from './api';
import { AppError } from './errors';

const id = z.int().positive();
const empty = z.strictObject({});

export const requestSchemas = {
  'app.info': empty,
  'datasets.create': z.strictObject({
    root: z.string().trim().min(1, 'a folder path is required').max(4096),
    name: z.string().trim().min(1).max(200).optional(),
  }),
  'datasets.list': empty,
  'datasets.get': z.strictObject({ id }),
  'datasets.rescan': z.strictObject({ id }),
  'images.list': z.strictObject({
    datasetId: id,
    status: z.enum(['ok', 'error']).optional(),
    cursor: z.int().nonnegative().optional(),
    limit: z.int().min(1).max(1000).optional(),
  }),
  'jobs.list': z.strictObject({ datasetId: id.optional(), limit: z.int().min(1).max(500).optional() }),
  'jobs.get': z.strictObject({ id }),
  'jobs.cancel': z.strictObject({ id }),
  'system.pickFolder': z.strictObject({ title: z.string().max(200).optional() }),
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
