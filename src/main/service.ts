// Implements the API contract on top of the store and the job host; transport-agnostic, validates first. The
// handlers live by domain in src/main/service/*.ts; this module composes them and answers in envelopes.
import type { Api, Method, Req, Res } from '../shared/api';
import { AppError, type Envelope } from '../shared/errors';
import { parseRequest, requireMethod } from '../shared/schemas';
import { accessOf } from '../shared/access';
import { callerScope, createContext, type Caller, type Handlers, type ServiceDeps } from './service/context';
import { datasetHandlers } from './service/datasets';
import { galleryHandlers } from './service/gallery';
import { jobHandlers } from './service/jobs';
import { learningHandlers } from './service/learning';
import { mllmHandlers } from './service/mllm';
import { reviewHandlers } from './service/review';
import { ruleHandlers } from './service/rules';
import { settingsHandlers } from './service/settings';
import { statsHandlers } from './service/stats';
import { systemHandlers } from './service/system';
import { teamHandlers } from './service/team';
import { logger } from './log';

export type { Caller, Handlers, ServiceContext, ServiceDeps } from './service/context';

export function createService(deps: ServiceDeps) {
  const ctx = createContext(deps);
  const handlers: Handlers = {
    ...systemHandlers(ctx),
    ...datasetHandlers(ctx),
    ...jobHandlers(ctx),
    ...ruleHandlers(ctx),
    ...galleryHandlers(ctx),
    ...statsHandlers(ctx),
    ...settingsHandlers(ctx),
    ...reviewHandlers(ctx),
    ...learningHandlers(ctx),
    ...mllmHandlers(ctx),
    ...teamHandlers(ctx),
  };
  /**
   * Validates and runs one request; always answers with an envelope, never throws. `caller`: the person behind it
   * in team mode (their role is checked against src/shared/access.ts); absent for the local app and the CLI.
   */
  async function call(method: unknown, req: unknown, caller?: Caller): Promise<Envelope<unknown>> {
    try {
      const m = requireMethod(method);
      const parsed = parseRequest(m, req);
      if (caller && caller.role !== 'admin' && accessOf(m, parsed) === 'admin') {
        throw new AppError('forbidden', `${m} is for admins; ${caller.name} is a ${caller.role}`, {
          hint: 'An admin can run it, or give this user the admin role (faceinsight users add NAME --role admin).',
        });
      }
      const handler = handlers[m] as (r: unknown) => Promise<unknown> | unknown;
      return { ok: true, value: await callerScope.run(caller ?? null, () => handler(parsed)) };
    } catch (err) {
      const e = AppError.from(err);
      if (e.code === 'internal') logger().error({ err, method: String(method) }, `${String(method)} failed`);
      return { ok: false, error: e.toJSON() };
    }
  }

  /** Typed direct call for in-process users (CLI); throws AppError. */
  async function invoke<M extends Method>(method: M, req: Req<M>): Promise<Api[M]['res']> {
    const env = await call(method, req);
    if (!env.ok) throw AppError.fromData(env.error);
    return env.value as Res<M>;
  }

  return { call, invoke };
}
export type Service = ReturnType<typeof createService>;
