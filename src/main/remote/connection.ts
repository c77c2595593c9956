// The desktop app's backend, switchable at run time: its own database (startApp) or a team server (client.ts).
// Every renderer call goes through here; connection.get / connection.set are answered here, the rest forwarded
// to whichever backend is active, and that backend's events are relayed. Electron-free, so tests drive it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionState, EventName, Events } from '../../shared/api';
import { AppError, type Envelope } from '../../shared/errors';
import { parseRequest } from '../../shared/schemas';
import type { AppHost, EventListener } from '../app';
import type { SecretStore } from '../mllm/secrets';
import { logger } from '../log';
import { connectRemote, type RemoteServer, type RemoteTarget } from './client';

/** The secret-store id of the team token (the desktop app: encrypted with the OS keychain). */
export const TEAM_TOKEN_ID = 'team-server';
/** `<dataDir>/connection.json`: the team server's URL (never the token), read at start. */
export const CONNECTION_FILE = 'connection.json';

export type Backend = { kind: 'local'; host: AppHost } | { kind: 'server'; server: RemoteServer };

export interface ConnectionDeps {
  dataDir: string;
  /** Opens the local database and job host (startApp). */
  startLocal(): Promise<AppHost>;
  secrets: SecretStore;
  connect?: (target: RemoteTarget) => Promise<RemoteServer>;
}

export interface Connection {
  call(method: string, req: unknown): Promise<Envelope<unknown>>;
  on(fn: EventListener): () => void;
  backend(): Backend;
  state(): ConnectionState;
  close(): Promise<void>;
}

function savedUrl(dataDir: string): string | null {
  try {
    const json = JSON.parse(readFileSync(join(dataDir, CONNECTION_FILE), 'utf8')) as { url?: unknown };
    return typeof json.url === 'string' ? json.url : null;
  } catch {
    return null; // no file yet: the local database
  }
}

function saveUrl(dataDir: string, url: string | null): void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, CONNECTION_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify({ url }, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

/**
 * Opens the backend the last session used: the saved team server when its URL and token are there and it answers,
 * else the local database (with the reason in `connection.get`'s `error`).
 */
export async function openConnection(deps: ConnectionDeps): Promise<Connection> {
  const connect = deps.connect ?? connectRemote;
  const listeners = new Set<EventListener>();
  const relay: EventListener = <E extends EventName>(event: E, payload: Events[E]) => {
    for (const fn of listeners) fn(event, payload);
  };
  let active: Backend;
  let off: () => void = () => {};
  let startError: string | null = null;

  const use = (b: Backend) => {
    off();
    active = b;
    off = b.kind === 'local' ? b.host.on(relay) : b.server.on(relay);
  };
  const closeBackend = async (b: Backend) => {
    if (b.kind === 'local') await b.host.close();
    else b.server.close();
  };

  const url = savedUrl(deps.dataDir);
  const token = deps.secrets.get(TEAM_TOKEN_ID);
  let first: Backend | null = null;
  if (url && token) {
    try {
      first = { kind: 'server', server: await connect({ url, token }) };
    } catch (err) {
      startError = AppError.from(err).message;
      logger().warn({ err, url }, 'team server unreachable at start: opening the local database');
    }
  }
  use(first ?? { kind: 'local', host: await deps.startLocal() });

  const state = (): ConnectionState =>
    active.kind === 'local'
      ? { target: 'local', url: null, user: null, canConnect: true, error: startError }
      : {
          target: 'server',
          url: active.server.origin,
          user: active.server.user?.name ?? null,
          canConnect: true,
          error: null,
        };

  /** Switches backends: the new one is opened (and checked) before the old one closes, so a failure changes nothing. */
  async function set(req: unknown): Promise<ConnectionState> {
    const { server } = parseRequest('connection.set', req);
    const before = active;
    if (server === null) {
      if (before.kind === 'local') return state();
      use({ kind: 'local', host: await deps.startLocal() });
      saveUrl(deps.dataDir, null);
    } else {
      const remote = await connect(server);
      deps.secrets.set(TEAM_TOKEN_ID, server.token);
      saveUrl(deps.dataDir, remote.origin);
      use({ kind: 'server', server: remote });
    }
    startError = null;
    await closeBackend(before);
    return state();
  }

  return {
    async call(method, req) {
      try {
        if (method === 'connection.get') return { ok: true, value: state() };
        if (method === 'connection.set') return { ok: true, value: await set(req) };
      } catch (err) {
        return { ok: false, error: AppError.from(err).toJSON() };
      }
      return active.kind === 'local' ? active.host.call(method, req) : active.server.call(method, req);
    },
    on(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    backend: () => active,
    state,
    async close() {
      off();
      listeners.clear();
      await closeBackend(active);
    },
  };
}
