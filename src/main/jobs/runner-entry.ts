// Entry of the job process (child_process.fork or Electron's utilityProcess.fork): owns its DB connection.
import { parseArgs } from 'node:util';
import { ItemQueue, openStore, redactDbTarget } from '../store/index';
import { logger, openLog } from '../log';
import { dataPaths } from '../paths';
import { handlers } from './handlers';
import { closeAnalyzePipelines, warmAnalyzePipeline } from './kinds/analyze';
import { isExecutionProviderRequest } from '../models/ep';
import { fileSecretStore } from '../mllm/secrets';
import { drainJobs, leaseMs, releaseDeadRunners, type ProgressReport } from './runner';
import { WARM_ANALYSIS_ENV, type HostMessage, type RunnerMessage } from './protocol';

interface ParentPort {
  postMessage(m: unknown): void;
  on(ev: 'message', fn: (e: { data: unknown }) => void): void;
}

// Under Electron's utilityProcess the channel is process.parentPort; under child_process.fork, process.send.
const parentPort = (process as NodeJS.Process & { parentPort?: ParentPort }).parentPort;
function send(m: RunnerMessage): void {
  if (parentPort) parentPort.postMessage(m);
  else process.send?.(m);
}
function onMessage(fn: (m: HostMessage) => void): void {
  if (parentPort) parentPort.on('message', (e) => fn(e.data as HostMessage));
  else process.on('message', (m) => fn(m as HostMessage));
}

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    'data-dir': { type: 'string' },
    scope: { type: 'string' },
    'dispatch-only': { type: 'boolean' },
  },
  strict: true,
});
// The host passes the database as FACEINSIGHT_DB (a URL's password stays out of `ps`); --db still works by hand.
const db = values.db ?? process.env.FACEINSIGHT_DB;
if (!db || !values['data-dir']) {
  console.error('job-runner: --data-dir and the database (FACEINSIGHT_DB or --db) are required');
  process.exit(2);
}
const paths = dataPaths(values['data-dir'], db);
openLog(paths.dataDir, 'jobs');
logger().info({ db: redactDbTarget(paths.dbPath) }, 'job process start');
const store = openStore(paths.dbPath);
const worker = `runner-${process.pid}`;
const abort = new AbortController();
let wake: (() => void) | null = null;
let pending: boolean; // set by a wake message that arrives while jobs are draining
// The jobs the host named in its wake messages; `--scope own` (a CLI command): only those run.
const woken = new Set<number>();
const rest = values.scope !== 'own';
// MLLM keys the host sent (the desktop app's safeStorage); otherwise the data dir's key file is read.
let hostSecrets: Record<string, string> = {};
const fileSecrets = fileSecretStore(paths.dataDir);

onMessage((m) => {
  if (m.type === 'wake') {
    for (const id of m.jobIds ?? []) woken.add(id);
    if (m.secrets) hostSecrets = m.secrets;
    pending = true;
    wake?.();
  } else if (m.type === 'shutdown') {
    abort.abort();
    wake?.();
  }
});
// The host going away must not leave an orphan runner.
process.on('disconnect', () => {
  abort.abort();
  wake?.();
});

// A runner killed together with its host (kill -9 of the whole CLI) leaves claims nobody releases: free those
// of runners that no longer exist on this machine instead of waiting for their leases to lapse (also while
// waiting on them later: a runner killed just before this one started may not have been gone yet).
releaseDeadRunners(store, process.pid);

send({ type: 'ready', worker });
// PostgreSQL: every job's items go through the team queue, where `faceinsight worker`s take analysis items too.
const queue =
  store.dialect === 'postgres'
    ? new ItemQueue(paths.dbPath, {
        leaseMs: leaseMs(),
        onError: (err) => logger().warn({ err }, 'job queue error'),
      })
    : undefined;
const ctx = {
  store,
  paths,
  worker,
  queue,
  dispatchOnly: values['dispatch-only'] === true,
  signal: abort.signal,
  releaseDead: () => releaseDeadRunners(store, process.pid),
  secret: (id: string) => hostSecrets[id] ?? fileSecrets.get(id),
};
// `faceinsight analyze`: load the analysis models now, while the import that comes first runs.
const warm = process.env[WARM_ANALYSIS_ENV];
if (warm && isExecutionProviderRequest(warm)) warmAnalyzePipeline(ctx, warm);
while (!abort.signal.aborted) {
  pending = false;
  const hooks = { onProgress: (progress: ProgressReport) => send({ type: 'progress', progress }) };
  await drainJobs(handlers, ctx, hooks, woken, rest);
  if (abort.signal.aborted) break;
  send({ type: 'idle' });
  // Sleep until woken; poll now and then for jobs queued by another process (the CLI on the same file).
  if (!pending) await new Promise<void>((r) => ((wake = r), setTimeout(r, 2000).unref()));
  wake = null;
}
// Items still claimed here were stopped by the shutdown, not by a crash: back to the pool, attempt not counted.
store.write(() => store.jobs.releaseWorker(worker, true));
await queue?.close();
store.close();
// Model threads end first: exiting while one still creates a session aborts the process inside ORT.
await closeAnalyzePipelines();
process.exit(0);
