// Shared by the `faceinsight` commands: argument parsing, opening the app, typed API calls, waiting for a job.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import type { Dataset, Job, JobState, Method, Req, Res } from '../../shared/api';
import { AppError } from '../../shared/errors';
import { resolveDataDir, startApp, type AppHost, type StartOptions } from '../app';

/** A command-line mistake: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {}

export const commonOptions = {
  'data-dir': { type: 'string' },
  db: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} satisfies ParseArgsConfig['options'];

/** The command's own options plus the common ones; unknown flags are usage errors. */
export function parse<O extends ParseArgsConfig['options']>(args: string[], options: O) {
  try {
    return parseArgs({
      args,
      options: { ...commonOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `own`: the command's job process runs only the jobs its calls start (see --resume); `serve` runs them all. */
export async function openHost(
  values: { 'data-dir'?: string; db?: string },
  jobScope: 'own' | 'all' = 'own',
  more: Pick<StartOptions, 'warmAnalysis'> = {},
): Promise<AppHost> {
  const dataDir = resolveDataDir(values['data-dir']);
  // A file or a postgres:// URL; dataPaths resolves a file and falls back to FACEINSIGHT_DB.
  return startApp({ dataDir, dbPath: values.db, mode: 'browser', jobScope, ...more });
}

/** One API call, typed by the contract; a refusal is thrown as the AppError it carries. */
export async function invoke<M extends Method>(
  host: Pick<AppHost, 'call'>,
  method: M,
  req: Req<M>,
): Promise<Res<M>> {
  const env = await host.call(method, req);
  if (!env.ok) throw AppError.fromData(env.error);
  return env.value as Res<M>;
}

export const FINAL_STATES: ReadonlySet<Job['state']> = new Set(['done', 'failed', 'cancelled']);

/**
 * Polls a job until it ends (done, failed, cancelled; with `paused: true` also paused), calling `onTick` with
 * each reading: the one wait loop of the commands.
 */
export async function waitForJob(
  host: Pick<AppHost, 'call'> & Partial<Pick<AppHost, 'on'>>,
  id: number,
  opts: { onTick?: (job: Job) => void; paused?: boolean; intervalMs?: number } = {},
): Promise<Job> {
  // The job's own progress report that it ended wakes the wait at once (the next command, or the exit, need not
  // wait out the polling interval); polling stays for what sends no event.
  let wake: (() => void) | null = null;
  const off = host.on?.((event, payload) => {
    if (event !== 'jobs.progressed') return;
    const p = payload as { jobId?: number; state?: JobState };
    if (p.jobId === id && p.state && (FINAL_STATES.has(p.state) || p.state === 'paused')) wake?.();
  });
  try {
    for (;;) {
      const job = await invoke(host, 'jobs.get', { id });
      opts.onTick?.(job);
      if (FINAL_STATES.has(job.state) || (opts.paused && job.state === 'paused')) return job;
      await new Promise<void>((r) => {
        const timer = setTimeout(r, opts.intervalMs ?? 200);
        wake = () => {
          clearTimeout(timer);
          r();
        };
      });
      wake = null;
    }
  } finally {
    off?.();
  }
}

/** The dataset a command works on: `--dataset ID|FOLDER`, or the only one in the database. */
export async function pickDataset(host: Pick<AppHost, 'call'>, pick: string | undefined): Promise<Dataset> {
  const { items } = await invoke(host, 'datasets.list', {});
  const ds =
    pick === undefined
      ? items.length === 1
        ? items[0]
        : undefined
      : items.find((d) => String(d.id) === pick || d.root === resolve(pick));
  if (!ds) {
    throw new AppError(
      'invalid_request',
      pick === undefined
        ? `the database has ${items.length} datasets; name one with --dataset <id or folder>`
        : `no dataset ${pick}`,
      { where: { field: 'dataset' } },
    );
  }
  return ds;
}
