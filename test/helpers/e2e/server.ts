// Starts the real `faceinsight serve` (browser mode) as a child process and stops it; for the e2e tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/faceinsight.js', import.meta.url));
/** With the per-run token, or in team mode (--team) without one: each person brings their own. */
const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/(\?token=[\w-]+)?$/;

export interface RunningServer {
  /** The URL the server printed, token included. */
  url: string;
  /** `http://127.0.0.1:PORT`, for requests built by hand. */
  origin: string;
  token: string;
  /** Everything the server wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `node bin/faceinsight.js serve --data-dir <dataDir> --port 0 [args]` and waits for its URL line. `token`: a
 * user's personal token for a team-mode server (`args: ['--team']`), used in place of the per-run one.
 */
export async function startServer(
  dataDir: string,
  timeoutMs = 60_000,
  opts: { args?: string[]; token?: string } = {},
): Promise<RunningServer> {
  if (!existsSync(new URL('../../../out/renderer/index.html', import.meta.url))) {
    throw new Error('out/renderer is missing: run `npm run build` (npm run test:e2e does it first)');
  }
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--data-dir', dataDir, '--port', '0', ...(opts.args ?? [])],
    {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no URL line within ${timeoutMs} ms`), timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`faceinsight serve: ${why}\n${log}`));
    }
    lines.on('line', (line) => {
      log += line + '\n';
      if (URL_LINE.test(line.trim())) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code, signal) => fail(`exited early (${signal ?? code})`));
  });
  const parsed = new URL(url);
  const token = opts.token ?? parsed.searchParams.get('token') ?? '';
  return {
    url: opts.token ? `${parsed.origin}/?token=${opts.token}` : url,
    origin: parsed.origin,
    token,
    output: () => log,
    stop: () => stopChild(child),
  };
}

/** SIGTERM, then SIGKILL if the server has not exited within five seconds. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** One API call over the server's HTTP transport, as the renderer makes it; a refusal throws with its error. */
export async function callApi<T>(server: RunningServer, method: string, req: unknown = {}): Promise<T> {
  const res = await fetch(`${server.origin}/api/${method}?token=${server.token}`, {
    method: 'POST',
    body: JSON.stringify(req),
  });
  const body = (await res.json()) as { ok: boolean; value: T; error: unknown };
  if (!body.ok) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.value;
}

/** Polls a job until it ends (done, failed or cancelled). */
export async function waitForJob<J extends { state: string }>(
  server: RunningServer,
  id: number,
  timeoutMs: number,
): Promise<J> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    const job = await callApi<J>(server, 'jobs.get', { id });
    if (['done', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${id} did not finish in ${timeoutMs} ms`);
}
