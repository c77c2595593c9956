// `faceinsight worker --db postgres://…`: an analysis worker on any machine; takes items from the team queue until
// stopped (SIGINT / SIGTERM: the items in flight finish; a second signal hands them back unprocessed).
import { hostname } from 'node:os';
import { isAbsolute, normalize, resolve, sep } from 'node:path';
import { AppError } from '../../shared/errors';
import { EXECUTION_PROVIDERS, type ExecutionProviderRequest } from '../../shared/api';
import { ItemQueue, isPostgresUrl, openStore, redactDbTarget } from '../store/index';
import { dataPaths, resolveDataDir } from '../paths';
import { handlers } from '../jobs/handlers';
import { closeAnalyzePipelines, warmAnalyze } from '../jobs/kinds/analyze';
import { leaseMs } from '../jobs/runner';
import { runWorker } from '../jobs/worker';
import { logger, openLog } from '../log';
import { parse, UsageError } from './common';

export const WORKER_HELP = `  faceinsight worker --db postgres://… [--ep auto|cpu|webgpu|cuda|dml|coreml] [--concurrency N]
                     [--root-map FROM=TO]… | [--server URL] [--data-dir DIR]
      Team mode: analyses the images of running analysis jobs on this machine, taking them from the team
      database's queue (pg-boss) beside other workers and the server. --root-map rewrites a dataset folder
      as the database names it (the server's path) to where it is mounted here (several allowed, longest
      match wins); or --server downloads each image from the team server's asset route with the user token
      in $FACEINSIGHT_TOKEN. Stops on Ctrl-C / SIGTERM after the images in flight (twice: at once, handing
      them back). An item a worker was killed on goes to another after the lease (5 min; FACEINSIGHT_LEASE_MS).`;

/** How long one image download may take before its item fails. */
const DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * Reads images from a team server's asset route (`/assets/image/<id>`) with a user token (sent as a header, never
 * in the URL, so no log line along the way holds it). Errors name the URL and the server's answer.
 */
export function serverImages(server: string, token: string): (imageId: number) => Promise<Buffer> {
  const base = server.endsWith('/') ? server : `${server}/`;
  return async (imageId) => {
    const url = new URL(`assets/image/${imageId}`, base);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
      });
    } catch (err) {
      const why = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new AppError('io_error', `cannot download ${url.href}: ${why}`);
    }
    if (!res.ok) {
      let why = res.statusText;
      try {
        const body = (await res.json()) as { error?: { message?: string } };
        why = body.error?.message ?? why;
      } catch {
        // Not our JSON error (a proxy's page): the status says enough.
      }
      throw new AppError('io_error', `cannot download ${url.href}: ${res.status} ${why}`);
    }
    return Buffer.from(await res.arrayBuffer());
  };
}

export interface RootMapRule {
  from: string;
  to: string;
}

/** Parses `FROM=TO` (both absolute folders); a clear error names the bad rule. */
export function parseRootMap(rules: readonly string[]): RootMapRule[] {
  return rules.map((r) => {
    const at = r.indexOf('=');
    const from = at > 0 ? r.slice(0, at) : '';
    const to = at > 0 ? r.slice(at + 1) : '';
    if (!from || !to) throw new UsageError(`--root-map: expected FROM=TO, got "${r}"`);
    if (!isAbsolute(from) || !isAbsolute(to))
      throw new UsageError(`--root-map: both folders must be absolute paths, got "${r}"`);
    return { from: normalize(from).replace(/[\\/]+$/, '') || sep, to: resolve(to) };
  });
}

/** The root as this machine sees it: the longest rule whose FROM is the root or a folder above it. */
export function mapRoot(rules: readonly RootMapRule[], root: string): string {
  let best: RootMapRule | null = null;
  for (const r of rules) {
    const under = root === r.from || root.startsWith(r.from.endsWith(sep) ? r.from : r.from + sep);
    if (under && (!best || r.from.length > best.from.length)) best = r;
  }
  return best ? best.to + root.slice(best.from.length) : root;
}

export async function workerCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ep: { type: 'string' },
    concurrency: { type: 'string' },
    'root-map': { type: 'string', multiple: true },
    server: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const paths = dataPaths(resolveDataDir(values['data-dir']), values.db);
  if (!isPostgresUrl(paths.dbPath))
    throw new UsageError('--db (or FACEINSIGHT_DB) must be a postgres:// URL: workers share a team database');
  const ep = values.ep as ExecutionProviderRequest | undefined;
  if (ep !== undefined && !(EXECUTION_PROVIDERS as readonly string[]).includes(ep))
    throw new UsageError(`--ep: expected one of ${EXECUTION_PROVIDERS.join(', ')}, got "${values.ep}"`);
  const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UsageError(`--concurrency: expected a whole number from 1 to 64, got "${values.concurrency}"`);
  const rules = parseRootMap(values['root-map'] ?? []);
  let readImage: ((imageId: number) => Promise<Buffer>) | undefined;
  if (values.server !== undefined) {
    if (rules.length > 0)
      throw new UsageError('--server and --root-map: give one (download, or read a mount)');
    if (!/^https?:\/\//i.test(values.server))
      throw new UsageError(`--server: expected the team server's http(s):// URL, got "${values.server}"`);
    const token = process.env.FACEINSIGHT_TOKEN;
    if (!token)
      throw new UsageError(
        '--server needs a user token in FACEINSIGHT_TOKEN (faceinsight users add NAME prints one)',
      );
    readImage = serverImages(values.server, token);
  }

  const logFile = openLog(paths.dataDir, 'jobs');
  const db = redactDbTarget(paths.dbPath);
  const worker = `worker-${hostname()}-${process.pid}`;
  logger().info({ db, worker, ep, concurrency, rootMap: rules, server: values.server }, 'worker start');
  const store = openStore(paths.dbPath);
  const queue = new ItemQueue(paths.dbPath, {
    leaseMs: leaseMs(),
    onError: (err) => logger().warn({ err }, 'job queue error'),
  });
  const stopping = new AbortController();
  const abort = new AbortController();
  const onSignal = () => {
    if (stopping.signal.aborted) abort.abort();
    else {
      console.error('worker: stopping after the images in flight (again to hand them back now)');
      stopping.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await queue.start();
    await warmAnalyze({ store, paths, worker, signal: abort.signal }, ep ?? 'auto');
    console.error(`worker ${worker} on ${db}: ready`);
    const stats = await runWorker({
      store,
      queue,
      paths,
      handlers,
      worker,
      concurrency,
      ...(ep ? { ep } : {}),
      ...(rules.length > 0 ? { mapRoot: (root: string) => mapRoot(rules, root) } : {}),
      ...(readImage ? { readImage } : {}),
      stopping: stopping.signal,
      signal: abort.signal,
      onItem: (e) => {
        if (e.outcome !== 'done') console.error(`job ${e.jobId} item ${e.key}: ${e.outcome}: ${e.error}`);
      },
    });
    console.error(`worker: ${stats.done} done, ${stats.failed} failed, ${stats.released} handed back`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Anything still claimed here goes back at once (nothing should be: in-flight items finished or were released).
    try {
      store.write(() => store.jobs.releaseWorker(worker, true));
    } catch (err) {
      logger().warn({ err }, 'worker: could not release its items');
    }
    await queue.close();
    store.close();
    await closeAnalyzePipelines();
    logger().info({ worker }, 'worker stop');
    logFile.close();
  }
}
