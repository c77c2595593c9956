// Runs `faceinsight serve` from source (tsx) as a child process on a given database, reads its URL line, and reads
// its /events stream; for tests where several servers share one PostgreSQL database.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { readSse, type SseFrame } from '../../src/main/remote/sse';
import { ROOT } from './fs';

export interface ServeProcess {
  origin: string;
  token: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** With the per-run token, or in team mode without one (each person brings their own). */
const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/(\?token=[\w-]+)?$/;

/** `token`: a user's token for a team-mode server (its URL line carries none). */
export async function startServe(
  dataDir: string,
  db: string,
  token?: string,
  timeoutMs = 90_000,
): Promise<ServeProcess> {
  const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
  const child = spawn(
    process.execPath,
    [
      '--import',
      tsx,
      join(ROOT, 'src', 'main', 'cli.ts'),
      'serve',
      '--data-dir',
      dataDir,
      '--db',
      db,
      '--port',
      '0',
    ],
    { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`faceinsight serve: ${why}\n${log}`));
    };
    const timer = setTimeout(() => fail(`no URL line within ${timeoutMs} ms`), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log += line + '\n';
      if (URL_LINE.test(line.trim())) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code, signal) => fail(`exited early (${signal ?? code})`));
  });
  const parsed = new URL(url);
  return {
    origin: parsed.origin,
    token: token ?? parsed.searchParams.get('token') ?? '',
    child,
    output: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** One API call over HTTP with the token header; a refusal throws with its error. */
export async function httpCall<T>(
  s: { origin: string; token: string },
  method: string,
  req: unknown = {},
): Promise<T> {
  const res = await fetch(`${s.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-faceinsight-token': s.token },
    body: JSON.stringify(req),
  });
  const body = (await res.json()) as { ok: boolean; value: T; error: unknown };
  if (!body.ok) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.value;
}

export interface EventStream {
  frames: SseFrame[];
  /** Resolves with the first frame (seen already or arriving) that matches; rejects after the liveness bound. */
  waitFor(pred: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  close(): void;
}

/** Opens a server's /events stream; resolves once the server has answered (its `: connected` comment). */
export async function openEvents(s: { origin: string; token: string }): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(`${s.origin}/events`, {
    headers: { 'x-faceinsight-token': s.token },
    signal: abort.signal,
  });
  if (!res.ok || !res.body) throw new Error(`/events: HTTP ${res.status}`);
  const frames: SseFrame[] = [];
  const waiters = new Set<() => void>();
  void readSse(
    res.body,
    (f) => {
      frames.push(f);
      for (const w of waiters) w();
    },
    abort.signal,
  ).catch(() => {
    // Aborted by close(): the stream simply ends.
  });
  return {
    frames,
    waitFor(pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = frames.find(pred);
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(frames)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
