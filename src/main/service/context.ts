// What every handler group of the service gets: the store, the host's capabilities, the rule engine and the
// shared lookups. Types only flow from here to src/main/service/*.ts and service.ts (no import cycle).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AppInfo, Dataset, Events, Method, Req, Res, UserRole } from '../../shared/api';
import { AppError } from '../../shared/errors';
import { ConstraintEngine } from '../constraints/index';
import type { SecretStore } from '../mllm/secrets';
import type { JobRecord, Store } from '../store/index';

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
  /** MLLM API keys (outside the database); the service only stores and checks them, the job process reads. */
  secrets?: SecretStore;
  /** This process's event listeners (SSE, IPC); the service's own events, e.g. `faces.changed`, go here. */
  emit?: <E extends keyof Events>(event: E, payload: Events[E]) => void;
}

/** The person behind a request in team mode (the HTTP transport resolved their token); null otherwise. */
export interface Caller {
  id: number;
  name: string;
  role: UserRole;
}

/** The caller of the request being handled, set by service.call around the handler (sync and async alike). */
export const callerScope = new AsyncLocalStorage<Caller | null>();

export type Handlers = { [M in Method]: (req: Req<M>) => Promise<Res<M>> | Res<M> };

export interface ServiceContext {
  store: Store;
  deps: ServiceDeps;
  engine: ConstraintEngine;
  /** The dataset, or `not_found` naming the field. */
  getDataset(id: number): Dataset;
  /** The job, or `not_found` naming the field. */
  getJob(id: number): JobRecord;
  /** The person calling (team mode), or null. */
  caller(): Caller | null;
  /** Who edits: the caller's name in team mode, else deps.actor (the OS user in the desktop app), else `reviewer`. */
  actor(): string;
  /**
   * After an edit committed: tells this process's clients and, on PostgreSQL, every other process (NOTIFY) which
   * faces changed, so open galleries and review screens refetch them.
   */
  facesChanged(faceIds: readonly number[], what: Events['faces.changed']['what'], by: string): void;
}

/** A NOTIFY payload stays far below PostgreSQL's 8000 bytes: more faces than this are sent as "many" (null). */
const MAX_LISTED_FACES = 200;

export function createContext(deps: ServiceDeps): ServiceContext {
  const { store } = deps;
  return {
    store,
    deps,
    engine: new ConstraintEngine(store),
    getDataset(id) {
      const ds = store.datasets.get(id);
      if (!ds) throw new AppError('not_found', `dataset ${id} not found`, { where: { field: 'id' } });
      return ds;
    },
    caller: () => callerScope.getStore() ?? null,
    actor: () => callerScope.getStore()?.name ?? deps.actor ?? 'reviewer',
    getJob(id) {
      const job = store.jobs.get(id);
      if (!job) throw new AppError('not_found', `job ${id} not found`, { where: { field: 'id' } });
      return job;
    },
    facesChanged(faceIds, what, by) {
      const unique = [...new Set(faceIds)];
      const send = (datasetId: number, ids: number[] | null) => {
        const payload = { datasetId, faceIds: ids, what, by };
        store.notify('faces.changed', payload);
        deps.emit?.('faces.changed', payload);
      };
      if (unique.length > MAX_LISTED_FACES) {
        // A bulk edit comes from one gallery, so from one dataset: "many faces of it changed".
        const datasetId = store.faces.summary(unique[0]!)?.datasetId;
        if (datasetId !== undefined) send(datasetId, null);
        return;
      }
      const byDataset = new Map<number, number[]>();
      for (const id of unique) {
        const datasetId = store.faces.summary(id)?.datasetId;
        if (datasetId !== undefined) byDataset.set(datasetId, [...(byDataset.get(datasetId) ?? []), id]);
      }
      for (const [datasetId, ids] of byDataset) send(datasetId, ids);
    },
  };
}
