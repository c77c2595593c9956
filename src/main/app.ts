// Composes the main side: data dir, store, job host, service, events and assets — shared by Electron, HTTP, CLI.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppInfo, EventName, Events } from '../shared/api';
import { AppError, type Envelope } from '../shared/errors';
import { createAssetResolver, type ResolvedAsset } from './assets';
import { JobHost, type ForkRunner } from './jobs/host';
import { RateTracker } from './jobs/rate';
import { isProgressReport, type ProgressReport } from './jobs/runner';
import { openLog, logger } from './log';
import { dataPaths, projectRoot, resourcesDir, resolveDataDir } from './paths';
import { createService, type Caller } from './service';
import { userByToken } from './users';
import { listenEvents, openStore, redactDbTarget, type EventSubscription } from './store/index';
import { seedRules } from './constraints/index';
import { fileSecretStore, type SecretStore } from './mllm/secrets';
import type { ExecutionProviderRequest } from './models/ep';

export { resolveDataDir };
export type { ForkRunner, RunnerProcess } from './jobs/host';

export interface StartOptions {
  dataDir: string;
  /** Database: a file or a postgres:// URL; defaults to FACEINSIGHT_DB, else <dataDir>/faceinsight.db. */
  dbPath?: string;
  mode: 'electron' | 'browser';
  pickFolder?: (title?: string) => Promise<string | null>;
  forkRunner?: ForkRunner;
  runnerEntry?: string;
  /**
   * `all` (default: the desktop app, `serve`): the job process runs the app's queue and resumes at start what an
   * earlier session left unfinished, but never a job a CLI command started (unless asked for by id: resume,
   * cancel, retry). `own` (CLI commands): only the jobs this host's own calls create, resume or cancel, marked
   * as a command's; earlier unfinished jobs are left alone and named (see commands/jobs.ts).
   */
  jobScope?: 'all' | 'own';
  /** Where MLLM API keys live (the desktop app: safeStorage); default: a 0600 file in the data dir. */
  secrets?: SecretStore;
  /**
   * PostgreSQL only: analysis items are left to `faceinsight worker`s (the job process plans analysis jobs and
   * follows them, running no model). Default: FACEINSIGHT_ANALYSIS=workers in the environment (`serve`).
   */
  workersOnly?: boolean;
  /**
   * `faceinsight analyze`: the job process starts the analysis models for this provider as it starts, so their
   * sessions load while the folder's import runs instead of after it.
   */
  warmAnalysis?: ExecutionProviderRequest;
}

export type EventListener = <E extends EventName>(event: E, payload: Events[E]) => void;

export interface AppHost {
  readonly info: AppInfo;
  /** `caller`: the person behind the request in team mode (serve resolved their token); absent locally. */
  call(method: string, req: unknown, caller?: Caller): Promise<Envelope<unknown>>;
  /** Team mode: the active user a personal token belongs to, or null (unknown or revoked). */
  userByToken(token: string): Caller | null;
  /** Team mode: how many users have a live token (serve refuses team mode without one). */
  activeUserCount(): number;
  /** Whether the store is PostgreSQL (serve runs in team mode there). */
  readonly teamDatabase: boolean;
  on(fn: EventListener): () => void;
  resolveAsset(kind: string, id: number, params?: URLSearchParams): Promise<ResolvedAsset>;
  /** Resolves once events from other processes (PostgreSQL NOTIFY) reach on(); at once on SQLite. */
  readonly eventsReady: Promise<void>;
  /** The job process's pid (tests kill it to prove resumption). */
  readonly jobs: JobHost;
  close(): Promise<void>;
}

export function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

export async function startApp(opts: StartOptions): Promise<AppHost> {
  const paths = dataPaths(opts.dataDir, opts.dbPath);
  const logFile = openLog(paths.dataDir, opts.mode === 'electron' ? 'app' : 'cli', { rotate: true });
  logger().info(
    {
      version: appVersion(),
      mode: opts.mode,
      argv: process.argv.slice(2).map(redactDbTarget),
      dataDir: paths.dataDir,
      db: redactDbTarget(paths.dbPath),
    },
    'start',
  );
  const store = openStore(paths.dbPath);
  const workersOnly = opts.workersOnly ?? process.env.FACEINSIGHT_ANALYSIS === 'workers';
  if (workersOnly && store.dialect !== 'postgres') {
    store.close();
    throw new AppError(
      'invalid_request',
      'FACEINSIGHT_ANALYSIS=workers needs a PostgreSQL database (--db postgres://…): workers share a team database',
      { where: { field: 'FACEINSIGHT_ANALYSIS' } },
    );
  }
  seedRules(store, resourcesDir());
  const listeners = new Set<EventListener>();
  const emit: EventListener = (event, payload) => {
    for (const fn of listeners) fn(event, payload);
  };
  const rates = new RateTracker();
  const progressed = (p: ProgressReport) => {
    const finished = !(p.state === 'queued' || p.state === 'running');
    const { rate, etaSeconds } = rates.update(p.jobId, p.done, p.total, finished);
    const { jobId, kind, state, done, total, failed, summary } = p;
    emit('jobs.progressed', { jobId, kind, state, done, total, failed, summary, rate, etaSeconds });
    if (p.datasetId !== null) emit('datasets.updated', { datasetId: p.datasetId });
  };
  // PostgreSQL: events NOTIFYed by other processes (workers, other servers, their job processes) reach this
  // process's listeners too; its own and its job process's (one origin) already arrived in-process.
  let events: EventSubscription | null = null;
  if (store.dialect === 'postgres') {
    events = listenEvents(
      paths.dbPath,
      (event, payload) => {
        if (event === 'jobs.progressed') {
          if (isProgressReport(payload)) progressed(payload);
        } else emit(event as EventName, payload as Events[EventName]);
      },
      {
        onError: (err) => logger().warn({ err }, 'event listener: connection lost, reconnecting'),
        // Events sent while the connection was down are gone: every open screen refetches instead (each
        // dataset's faces and its counts), so no client keeps showing what another changed meanwhile.
        onReconnect: () => {
          logger().info('event listener: reconnected; clients refetch');
          for (const d of store.datasets.list()) {
            emit('datasets.updated', { datasetId: d.id });
            emit('faces.changed', { datasetId: d.id, faceIds: null, what: 'labels', by: '' });
          }
        },
      },
    );
  }
  const jobs = new JobHost({
    store,
    dbPath: paths.dbPath,
    dataDir: paths.dataDir,
    entry: opts.runnerEntry,
    fork: opts.forkRunner,
    scope: opts.jobScope ?? 'all',
    dispatchOnly: workersOnly,
    ...(opts.warmAnalysis && !workersOnly ? { warmAnalysis: opts.warmAnalysis } : {}),
    // A job process reads the key file itself; only a store it cannot read travels with each wake.
    ...(opts.secrets ? { secrets: () => opts.secrets!.all() } : {}),
    onProgress: progressed,
  });
  const samples = join(resourcesDir(), 'samples');
  const info: AppInfo = {
    version: appVersion(),
    mode: opts.mode,
    dataDir: paths.dataDir,
    // The renderer sees a PostgreSQL URL without its password.
    dbPath: redactDbTarget(paths.dbPath),
    samplesDir: existsSync(samples) ? samples : null,
    canPickFolder: opts.pickFolder !== undefined,
  };
  const service = createService({
    store,
    info,
    wakeJobs: (ids) => jobs.wake(ids),
    pickFolder: opts.pickFolder,
    secrets: opts.secrets ?? fileSecretStore(paths.dataDir),
    emit,
  });
  // Resume whatever a previous session left unfinished (an item at its attempt cap fails its job there).
  if (opts.jobScope !== 'own' && store.jobs.nextRunnable()) jobs.wake();
  return {
    info,
    jobs,
    call: service.call,
    userByToken: (token) => userByToken(store, token),
    activeUserCount: () => store.team.activeUserCount(),
    teamDatabase: store.dialect === 'postgres',
    on(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    resolveAsset: createAssetResolver(store, paths.thumbsDir),
    /** Resolves once this process receives other processes' events (at once on SQLite). */
    eventsReady: events?.ready ?? Promise.resolve(),
    async close() {
      await jobs.stop();
      await events?.close();
      listeners.clear();
      store.close();
      logger().info('stop');
      logFile.close();
    },
  };
}
