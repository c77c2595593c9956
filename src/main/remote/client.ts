// The desktop app as a client of a team server (issue #32.5): the API, its events and its assets over the server's
// HTTP transport with a personal token. Electron's main process forwards the renderer's IPC calls here, so the
// token stays in main (never in the untrusted renderer) and the renderer keeps its strict CSP and one origin.
import type { AppInfo, EventName, Events } from '../../shared/api';
import { EVENTS } from '../../shared/api';
import { AppError, isAppErrorData, type Envelope } from '../../shared/errors';
import { readSse } from './sse';

export interface RemoteTarget {
  /** The server's base URL (`https://faces.example.org`); a path, query or fragment is refused. */
  url: string;
  /** A personal token (`faceinsight users add`). */
  token: string;
}

export type RemoteListener = <E extends EventName>(event: E, payload: Events[E]) => void;

export interface RemoteServer {
  /** The server's origin, e.g. `https://faces.example.org`. */
  readonly origin: string;
  readonly info: AppInfo;
  /** Who the token belongs to (null when the server is not in team mode). */
  readonly user: { name: string; role: string } | null;
  call(method: string, req: unknown): Promise<Envelope<unknown>>;
  /** The server's events; the stream opens with the first listener and reconnects after a loss. */
  on(fn: RemoteListener): () => void;
  /** One asset (image, thumb, face crop, mask) from the server's asset route, as its Response. */
  fetchAsset(kind: string, id: number, params?: URLSearchParams): Promise<Response>;
  close(): void;
}

/** Checks and normalises what a person typed as the server address. */
export function serverOrigin(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new AppError('invalid_request', `server URL: not a URL: "${input}"`, {
      where: { field: 'url' },
      hint: 'e.g. https://faces.example.org',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('invalid_request', `server URL: expected http:// or https://, got ${url.protocol}`, {
      where: { field: 'url' },
    });
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new AppError('invalid_request', `server URL: give only the scheme, host and port, got "${input}"`, {
      where: { field: 'url' },
      hint: 'the token goes in its own field',
    });
  }
  return url.origin;
}

function unreachable(origin: string, err: unknown): AppError {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
  return new AppError('io_error', `cannot reach the team server ${origin} (${cause})`, {
    hint: 'Check the address and that `faceinsight serve` runs there.',
  });
}

/**
 * Connects to a team server: checks the token with `app.info` and `team.me` before answering, so a wrong address
 * or token is reported at once, not at the first screen.
 */
export async function connectRemote(
  target: RemoteTarget,
  opts: { retryMs?: number } = {},
): Promise<RemoteServer> {
  const origin = serverOrigin(target.url);
  if (target.token.trim() === '') {
    throw new AppError('invalid_request', 'a personal token is required', { where: { field: 'token' } });
  }
  const headers = { 'x-faceinsight-token': target.token.trim() };
  const retryMs = opts.retryMs ?? 1000;

  async function call(method: string, req: unknown): Promise<Envelope<unknown>> {
    let res: Response;
    try {
      res = await fetch(`${origin}/api/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(req ?? {}),
      });
    } catch (err) {
      return { ok: false, error: unreachable(origin, err).toJSON() };
    }
    const body = (await res.json().catch(() => null)) as Envelope<unknown> | null;
    if (body && typeof body === 'object' && 'ok' in body && (body.ok || isAppErrorData(body.error)))
      return body;
    const e = new AppError(
      'io_error',
      `${method}: the team server answered HTTP ${res.status} without a result`,
    );
    return { ok: false, error: e.toJSON() };
  }
  const must = async <T>(method: string): Promise<T> => {
    const env = await call(method, {});
    if (!env.ok) throw AppError.fromData(env.error);
    return env.value as T;
  };

  const info = await must<AppInfo>('app.info');
  const me = await call('team.me', {});
  const user = me.ok ? ((me.value as { user: { name: string; role: string } | null }).user ?? null) : null;

  const listeners = new Set<RemoteListener>();
  const known = new Set<string>(EVENTS);
  let abort: AbortController | null = null;
  let closed = false;

  async function stream(): Promise<void> {
    while (!closed) {
      abort = new AbortController();
      try {
        const res = await fetch(`${origin}/events`, { headers, signal: abort.signal });
        if (res.ok && res.body) {
          await readSse(
            res.body,
            (f) => {
              if (!known.has(f.event)) return;
              let payload: unknown;
              try {
                payload = JSON.parse(f.data);
              } catch {
                return; // a malformed frame is dropped; clients refetch on the next event
              }
              for (const fn of listeners) fn(f.event as EventName, payload as Events[EventName]);
            },
            abort.signal,
          );
        }
      } catch {
        // Lost or refused: try again below (events sent meanwhile are missed; screens refetch on the next one).
      }
      if (!closed) await new Promise((r) => setTimeout(r, retryMs).unref());
    }
  }

  return {
    origin,
    info,
    user,
    call,
    on(fn) {
      listeners.add(fn);
      if (!abort && !closed) void stream();
      return () => listeners.delete(fn);
    },
    async fetchAsset(kind, id, params) {
      const q = params && [...params].length > 0 ? `?${params.toString()}` : '';
      try {
        return await fetch(`${origin}/assets/${encodeURIComponent(kind)}/${id}${q}`, { headers });
      } catch (err) {
        throw unreachable(origin, err);
      }
    },
    close() {
      closed = true;
      listeners.clear();
      abort?.abort();
    },
  };
}
