// Starts the real main side (store, job process, service) on a temp data dir, and waits for jobs.
import type { Job } from '../../src/shared/api';
import { AppError } from '../../src/shared/errors';
import { startApp, type AppHost } from '../../src/main/app';

/** `dbPath`: a file or a postgres:// URL (test/helpers/backends.ts); default <dataDir>/faceinsight.db. */
export async function startTestApp(dataDir: string, dbPath?: string): Promise<AppHost> {
  return startApp({ dataDir, mode: 'browser', ...(dbPath ? { dbPath } : {}) });
}

export async function call<T>(host: Pick<AppHost, 'call'>, method: string, req: unknown = {}): Promise<T> {
  const env = await host.call(method, req);
  if (!env.ok) throw AppError.fromData(env.error);
  return env.value as T;
}

/** Polls a job until it ends (done / failed / cancelled); a liveness bound only, not a timing goal. */
export async function waitForJob(host: Pick<AppHost, 'call'>, id: number, timeoutMs = 120_000): Promise<Job> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const job = await call<Job>(host, 'jobs.get', { id });
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') return job;
    if (Date.now() > end)
      throw new Error(`job ${id} still ${job.state} after ${timeoutMs} ms (${job.done}/${job.total})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
