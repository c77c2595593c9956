// Implements the API contract on top of the store and the job host; transport-agnostic, validates first.
import { realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Api, AppInfo, Dataset, Method, Req, Res } from '../shared/api';
import { AppError, type Envelope } from '../shared/errors';
import { parseRequest, requireMethod } from '../shared/schemas';
import { toJob, type Store } from './store/index';

export interface ServiceDeps {
  store: Store;
  info: AppInfo;
  /** Tells the job process there is work (starts it when needed). */
  wakeJobs(): void;
  pickFolder?: (title?: string) => Promise<string | null>;
}

type Handlers = { [M in Method]: (req: Req<M>) => Promise<Res<M>> | Res<M> };

export function createService(deps: ServiceDeps) {
  const { store } = deps;

  const getDataset = (id: number): Dataset => {
    const ds = store.datasets.get(id);
    if (!ds) throw new AppError('not_found', `dataset ${id} not found`, { where: { field: 'id' } });
    return ds;
  };
  const getJob = (id: number) => {
    const job = store.jobs.get(id);
    if (!job) throw new AppError('not_found', `job ${id} not found`, { where: { field: 'id' } });
    return job;
  };
  /** One import at a time per dataset: an unfinished one is returned instead of queueing another. */
  const startImport = (datasetId: number) => {
    const jobId = store.write(() => {
      const active = store.jobs
        .list({ datasetId, limit: 20 })
        .find((j) => j.kind === 'import' && (j.state === 'queued' || j.state === 'running'));
      return active?.id ?? store.jobs.create('import', datasetId, {});
    });
    deps.wakeJobs();
    return toJob(getJob(jobId));
  };

  const handlers: Handlers = {
    'app.info': () => deps.info,

    'datasets.create': async ({ root, name }) => {
      let real: string;
      try {
        real = await realpath(root);
        if (!(await stat(real)).isDirectory()) throw new Error('not a folder');
      } catch (err) {
        const why =
          (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (err as Error).message;
        throw new AppError('io_error', `cannot open ${root}: ${why}`, {
          where: { field: 'root', file: root },
        });
      }
      const id = store.write(
        () =>
          store.datasets.findByRoot(real)?.id ??
          store.datasets.insert({ name: name ?? basename(real), root: real, format: 'folder' }),
      );
      const job = startImport(id);
      return { dataset: getDataset(id), job };
    },
    'datasets.list': () => ({ items: store.datasets.list() }),
    'datasets.get': ({ id }) => getDataset(id),
    'datasets.rescan': ({ id }) => {
      getDataset(id);
      return startImport(id);
    },
    'images.list': (q) => {
      getDataset(q.datasetId);
      return store.images.page(q);
    },
    'jobs.list': (q) => ({ items: store.jobs.list(q).map(toJob) }),
    'jobs.get': ({ id }) => toJob(getJob(id)),
    'jobs.cancel': ({ id }) => {
      store.write(() => {
        const job = getJob(id);
        if (job.state === 'queued') store.jobs.setState(id, 'cancelled');
        else if (job.state === 'running') store.jobs.requestCancel(id);
      });
      deps.wakeJobs();
      return toJob(getJob(id));
    },
    'system.pickFolder': async ({ title }) => {
      if (!deps.pickFolder) {
        throw new AppError('invalid_request', 'this host has no folder picker; type the folder path instead');
      }
      return { path: await deps.pickFolder(title) };
    },
  };

  /** Validates and runs one request; always answers with an envelope, never throws. */
  async function call(method: unknown, req: unknown): Promise<Envelope<unknown>> {
    try {
      const m = requireMethod(method);
      const parsed = parseRequest(m, req);
      const handler = handlers[m] as (r: unknown) => Promise<unknown> | unknown;
      return { ok: true, value: await handler(parsed) };
    } catch (err) {
      const e = AppError.from(err);
      if (e.code === 'internal') console.error(`${String(method)} failed:`, err);
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
