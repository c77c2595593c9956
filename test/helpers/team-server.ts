// A team-mode server for tests: the app on a database (SQLite or PostgreSQL), `serve --team`'s HTTP transport on a
// free port, named users with their personal tokens, and a dataset of the demo photos with seeded faces.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, Job } from '../../src/shared/api';
import type { AppErrorData, Envelope } from '../../src/shared/errors';
import type { AppHost } from '../../src/main/app';
import { openStore, type Store } from '../../src/main/store/index';
import { startHttpServer, type HttpServer } from '../../src/main/transports/http';
import type { UserRole } from '../../src/shared/api';
import { addUser } from '../../src/main/users';
import { call, startTestApp, waitForJob } from './app';
import { copySamples } from './fs';
import { seedFaces } from './gallery-seed';

export interface TeamServer {
  host: AppHost;
  http: HttpServer;
  /** The test's own connection to the same database. */
  store: Store;
  /** Personal token per user name. */
  tokens: Record<string, string>;
  datasetId: number;
  /** One API call over HTTP with a user's token: the envelope as answered. */
  envelope<T>(method: string, req: unknown, token: string): Promise<Envelope<T>>;
  /** The call's value; throws with the error's code and message when it is refused. */
  ok<T>(method: string, req: unknown, token: string): Promise<T>;
  /** The call's error; throws when it is not refused. */
  refused(method: string, req: unknown, token: string): Promise<AppErrorData>;
  close(): Promise<void>;
}

export async function startTeamServer(
  dir: string,
  target: string,
  users: readonly (readonly [string, UserRole])[],
  seededFaces = 6,
): Promise<TeamServer> {
  const host = await startTestApp(join(dir, 'data'), target);
  const store = openStore(target);
  const staticDir = join(dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>FaceInsight Studio</title>');
  const http = await startHttpServer(host, { staticDir, port: 0, team: true });
  const tokens: Record<string, string> = {};
  for (const [name, role] of users) tokens[name] = addUser(store, name, role).token;
  copySamples(join(dir, 'photos'));
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
    root: join(dir, 'photos'),
  });
  const job = await waitForJob(host, created.job.id);
  if (job.state !== 'done')
    throw new Error(`the team server's import ended ${job.state}: ${job.error ?? ''}`);
  seedFaces(store, created.dataset.id, seededFaces);

  async function envelope<T>(method: string, req: unknown, token: string): Promise<Envelope<T>> {
    const res = await fetch(`http://127.0.0.1:${http.port}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(req),
    });
    return (await res.json()) as Envelope<T>;
  }
  return {
    host,
    http,
    store,
    tokens,
    datasetId: created.dataset.id,
    envelope,
    async ok<T>(method: string, req: unknown, token: string): Promise<T> {
      const body = await envelope<T>(method, req, token);
      if (!body.ok) throw new Error(`${method}: ${body.error.code}: ${body.error.message}`);
      return body.value;
    },
    async refused(method: string, req: unknown, token: string): Promise<AppErrorData> {
      const body = await envelope(method, req, token);
      if (body.ok) throw new Error(`${method} was not refused`);
      return body.error;
    },
    async close() {
      await http.close();
      store.close();
      await host.close();
    },
  };
}
