// Implements the API contract on top of the store and the job host; transport-agnostic, validates first.
import { realpath, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Api, AppInfo, Dataset, JobReport, Method, Req, Res } from '../shared/api';
import { AppError, type Envelope } from '../shared/errors';
import { checkedParams } from './jobs/params';
import { parseRequest, requireMethod } from '../shared/schemas';
import { toJob, type Store } from './store/index';
import {
  ConstraintEngine,
  parseRulesFile,
  rowsFromRulesFile,
  rulesFileText,
  rulesHash,
} from './constraints/index';
import { faceDetail, setLabel, toViolationEntry } from './constraints/faces';
import { datasetCooccurrence } from './constraints/stats';
import { findReleases } from './datasets/formats/release';
import { RuleSet } from '../shared/rules';
import type { RulesState } from '../shared/api';
import { learningHandlers } from './service/learning';
import { galleryHandlers } from './service/gallery';
import { statsHandlers } from './service/stats';
import { settingsHandlers } from './service/settings';
import { reviewHandlers } from './service/review';
import { logger } from './log';

export interface ServiceDeps {
  store: Store;
  info: AppInfo;
  /**
   * Tells the job process there is work (starts it when needed): `jobIds`, the jobs this call created, resumed
   * or cancelled (a CLI command's job process runs only those).
   */
  wakeJobs(jobIds: number[]): void;
  pickFolder?: (title?: string) => Promise<string | null>;
  /** Who edits (label_events.actor); the OS user name in the desktop app. */
  actor?: string;
}

export type Handlers = { [M in Method]: (req: Req<M>) => Promise<Res<M>> | Res<M> };

/** What handler groups in src/main/service/*.ts get: the store, the host's capabilities and shared lookups. */
export interface ServiceContext {
  store: Store;
  deps: ServiceDeps;
  engine: ConstraintEngine;
  getDataset(id: number): Dataset;
}

export function createService(deps: ServiceDeps) {
  const { store } = deps;

  const getDataset = (id: number): Dataset => {
    const ds = store.datasets.get(id);
    if (!ds) throw new AppError('not_found', `dataset ${id} not found`, { where: { field: 'id' } });
    return ds;
  };
  const engine = new ConstraintEngine(store);
  const rulesState = (): RulesState => {
    const rows = store.rules.list();
    return {
      text: rulesFileText(rows),
      hash: rulesHash(rows),
      rules: rows.map(({ key, severity, text, enabled }) => ({ key, severity, text, enabled })),
    };
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
    deps.wakeJobs([jobId]);
    return toJob(getJob(jobId));
  };

  const ctx: ServiceContext = { store, deps, engine, getDataset };
  const handlers: Handlers = {
    ...learningHandlers(ctx),
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
    'datasets.setFaceCrops': ({ id, faceCrops }) => {
      getDataset(id);
      store.write(() => store.datasets.setFaceCrops(id, faceCrops));
      return getDataset(id);
    },
    'images.list': (q) => {
      getDataset(q.datasetId);
      return store.images.page(q);
    },
    'jobs.list': (q) => ({ items: store.jobs.list(q).map(toJob) }),
    'jobs.get': ({ id }) => toJob(getJob(id)),
    'jobs.failures': ({ id, limit }) => {
      const job = getJob(id);
      const items = store.jobs.failedItems(id, limit ?? 1000).map(({ key, error }) => {
        const image = job.kind === 'analyze' ? store.images.locate(Number(key)) : undefined;
        return { key, label: image?.relPath ?? key, error };
      });
      return { items };
    },
    'jobs.cancel': ({ id }) => {
      store.write(() => {
        const job = getJob(id);
        if (job.state === 'queued' || job.state === 'paused') store.jobs.setState(id, 'cancelled');
        else if (job.state === 'running') store.jobs.requestCancel(id);
      });
      deps.wakeJobs([id]);
      return toJob(getJob(id));
    },
    'jobs.pause': ({ id }) => {
      store.write(() => {
        const job = getJob(id);
        if (job.state !== 'queued' && job.state !== 'running') {
          throw new AppError('conflict', `job ${id} is ${job.state}; only queued or running jobs pause`);
        }
        store.jobs.transition(id, ['queued', 'running'], 'paused');
      });
      return toJob(getJob(id));
    },
    'jobs.resume': ({ id }) => {
      store.write(() => {
        const job = getJob(id);
        if (job.state !== 'paused' && job.state !== 'failed') {
          throw new AppError('conflict', `job ${id} is ${job.state}; only paused or failed jobs resume`);
        }
        store.jobs.transition(id, ['paused', 'failed'], job.planned ? 'running' : 'queued');
      });
      deps.wakeJobs([id]);
      return toJob(getJob(id));
    },
    'jobs.retry': ({ id }) => {
      store.write(() => {
        const job = getJob(id);
        if (job.state === 'done')
          throw new AppError(
            'conflict',
            `job ${id} is done; only failed, cancelled or unfinished jobs retry`,
          );
        store.jobs.retry(id);
      });
      deps.wakeJobs([id]);
      return toJob(getJob(id));
    },
    'datasets.releases': ({ datasetId }) => ({ items: findReleases(getDataset(datasetId).root) }),
    'datasets.importAnnotations': ({ datasetId, format, annotations, maxErrors, map }) => {
      const ds = getDataset(datasetId);
      // UTKFace keeps its labels in the image names: the images folder is its annotation source.
      const source = annotations ?? (format === 'utkface' ? ds.root : undefined);
      if (!source) {
        throw new AppError('invalid_request', `${format}: an annotations file or folder is required`, {
          where: { field: 'annotations' },
        });
      }
      const params = {
        format,
        annotations: resolve(source),
        ...(maxErrors ? { maxErrors } : {}),
        ...(map ? { map } : {}),
      };
      const jobId = store.write(() =>
        store.jobs.create('annotations', datasetId, checkedParams('annotations', params)),
      );
      deps.wakeJobs([jobId]);
      return toJob(getJob(jobId));
    },
    'exports.start': ({ datasetId, out, ...opts }) => {
      getDataset(datasetId);
      const params = { ...opts, out: resolve(out), appVersion: deps.info.version };
      const jobId = store.write(() =>
        store.jobs.create('export', datasetId, checkedParams('export', params)),
      );
      deps.wakeJobs([jobId]);
      return toJob(getJob(jobId));
    },
    'jobs.report': ({ id }) => {
      getJob(id);
      return { report: store.annotations.jobReport(id) as JobReport | null };
    },
    'datasets.analyze': ({ datasetId, force, ep, concurrency, batchSize }) => {
      getDataset(datasetId);
      const jobId = store.write(() => {
        const active = store.jobs
          .list({ datasetId, limit: 20 })
          .find(
            (j) =>
              j.kind === 'analyze' && !j.params.imageIds && (j.state === 'queued' || j.state === 'running'),
          );
        const params = {
          force: force ?? false,
          ep: ep ?? 'auto',
          ...(concurrency ? { concurrency } : {}),
          ...(batchSize ? { batchSize } : {}),
        };
        return active?.id ?? store.jobs.create('analyze', datasetId, checkedParams('analyze', params));
      });
      deps.wakeJobs([jobId]);
      return toJob(getJob(jobId));
    },
    'images.analyze': ({ imageId, ep }) => {
      const image = store.images.locate(imageId);
      if (!image)
        throw new AppError('not_found', `image ${imageId} not found`, { where: { field: 'imageId' } });
      if (image.status !== 'ok') {
        throw new AppError('conflict', `image ${image.relPath} could not be decoded; nothing to analyse`);
      }
      const jobId = store.write(() =>
        store.jobs.create(
          'analyze',
          image.datasetId,
          checkedParams('analyze', { imageIds: [imageId], force: true, ep: ep ?? 'auto' }),
        ),
      );
      deps.wakeJobs([jobId]);
      return toJob(getJob(jobId));
    },
    ...galleryHandlers(ctx),
    ...statsHandlers(ctx),
    ...settingsHandlers(ctx),
    ...reviewHandlers(ctx),
    'faces.get': ({ id }) => faceDetail(store, id),
    'labels.set': ({ faceId, key, value }) => {
      setLabel(store, engine, { faceId, key, value, actor: deps.actor ?? 'reviewer' });
      return faceDetail(store, faceId);
    },
    'rules.get': () => rulesState(),
    'rules.check': ({ text, datasetId }) => {
      const { rows, rules, errors } = parseRulesFile(text);
      const enabled = rules.filter((_r, i) => rows[i]?.enabled);
      const counts =
        datasetId === undefined ? null : engine.flagged(new RuleSet(enabled), getDataset(datasetId).id);
      return {
        errors: errors.map((e) => e.toJSON()),
        rules: rows.map((r) => ({ ...r, flagged: counts && r.enabled ? (counts.get(r.key) ?? 0) : null })),
      };
    },
    'rules.set': ({ text }) => {
      const rows = rowsFromRulesFile(text);
      const jobIds = store.write(() => {
        store.rules.replaceAll(rows);
        return store.datasets.list().map((d) => store.jobs.create('reevaluate-rules', d.id, {}));
      });
      if (jobIds.length > 0) deps.wakeJobs(jobIds);
      return { rules: rulesState(), jobs: jobIds.map((id) => toJob(getJob(id))) };
    },
    'violations.list': (q) => {
      getDataset(q.datasetId);
      const page = store.rules.violations(q);
      return { ...page, items: page.items.map(toViolationEntry) };
    },
    'violations.counts': ({ datasetId }) => {
      getDataset(datasetId);
      return { items: store.rules.countsPerRule(datasetId) };
    },
    'stats.cooccurrence': ({ datasetId, source }) => {
      getDataset(datasetId);
      return datasetCooccurrence(store, datasetId, source);
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
