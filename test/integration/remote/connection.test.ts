// The desktop app as a team-server client (issue #32.5), without Electron: the connection module forwards the
// renderer's calls to a real `serve`, relays its events and assets, keeps the token out of its settings file,
// and switches back to the local database.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionState, Dataset, Events, Job, Page, FaceSummary } from '../../../src/shared/api';
import { fileSecretStore } from '../../../src/main/mllm/secrets';
import { CONNECTION_FILE, openConnection, type Connection } from '../../../src/main/remote/connection';
import { call, startTestApp } from '../../helpers/app';
import { seedWholeImageFaces } from '../../helpers/faces';
import { copySamples, tempDir } from '../../helpers/fs';
import { httpCall, startServe, type ServeProcess } from '../../helpers/serve';

let server: ServeProcess;
let serverDb: string;
let remoteDataset: Dataset;
let faceId: number;
let local: string;
let cleanup = () => {};
const conns: Connection[] = [];

async function open(): Promise<Connection> {
  const c = await openConnection({
    dataDir: local,
    startLocal: () => startTestApp(local),
    secrets: fileSecretStore(local),
  });
  conns.push(c);
  return c;
}

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  local = join(t.dir, 'desktop');
  serverDb = join(t.dir, 'server', 'faceinsight.db');
  copySamples(join(t.dir, 'photos'), ['sample3.jpg']);
  server = await startServe(join(t.dir, 'server'), serverDb);
  const created = await httpCall<{ dataset: Dataset; job: Job }>(server, 'datasets.create', {
    root: join(t.dir, 'photos'),
  });
  for (let job = created.job; job.state !== 'done';) {
    if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`import ${job.state}`);
    await new Promise((r) => setTimeout(r, 100));
    job = await httpCall<Job>(server, 'jobs.get', { id: job.id });
  }
  remoteDataset = created.dataset;
  [faceId] = seedWholeImageFaces(serverDb, remoteDataset.id) as [number];
}, 120_000);
afterAll(async () => {
  for (const c of conns) await c.close();
  await server?.stop();
  cleanup();
});

describe('connection to a team server', () => {
  it('starts on the local database, then forwards calls, events and assets to the server', async () => {
    const conn = await open();
    expect(await call<ConnectionState>(conn, 'connection.get')).toMatchObject({ target: 'local', url: null });
    expect((await call<{ items: Dataset[] }>(conn, 'datasets.list')).items).toEqual([]);

    const state = await call<ConnectionState>(conn, 'connection.set', {
      server: { url: server.origin, token: server.token },
    });
    expect(state).toMatchObject({ target: 'server', url: server.origin, canConnect: true, error: null });
    const items = (await call<{ items: Dataset[] }>(conn, 'datasets.list')).items;
    expect(items.map((d) => d.root)).toEqual([remoteDataset.root]);

    // Events: an edit made by another client of the server reaches this connection's listeners.
    const got: Events['faces.changed'][] = [];
    conn.on((event, payload) => {
      if (event === 'faces.changed') got.push(payload as Events['faces.changed']);
    });
    // The stream opens with the first listener; an edit through the connection proves it is live before ours.
    for (let i = 0; got.length === 0 && i < 100; i++) {
      await call(conn, 'reviews.set', { faceIds: [faceId], status: i % 2 ? 'unreviewed' : 'flagged' });
      await new Promise((r) => setTimeout(r, 100));
    }
    got.length = 0;
    await httpCall(server, 'labels.set', { faceId, key: 'Bald', value: -1 });
    for (let i = 0; !got.some((e) => e.what === 'labels') && i < 100; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(got.find((e) => e.what === 'labels')).toMatchObject({
      datasetId: remoteDataset.id,
      faceIds: [faceId],
    });

    // Assets come from the server's asset route with the token.
    const backend = conn.backend();
    if (backend.kind !== 'server') throw new Error('expected the server backend');
    const face = (
      await call<Page<FaceSummary>>(conn, 'faces.list', { datasetId: remoteDataset.id, limit: 1 })
    ).items[0]!;
    const thumb = await backend.server.fetchAsset('image', face.imageId);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toMatch(/^image\//);

    // The URL is in the settings file, the token is not; it went to the secret store.
    const saved = readFileSync(join(local, CONNECTION_FILE), 'utf8');
    expect(JSON.parse(saved)).toEqual({ url: server.origin });
    expect(saved).not.toContain(server.token);
    expect(fileSecretStore(local).get('team-server')).toBe(server.token);
    await conn.close();
    conns.pop();

    // The next start connects to the saved server again.
    const again = await open();
    expect(again.state()).toMatchObject({ target: 'server', url: server.origin });
    // Back to the local database.
    expect(await call<ConnectionState>(again, 'connection.set', { server: null })).toMatchObject({
      target: 'local',
    });
    expect((await call<{ items: Dataset[] }>(again, 'datasets.list')).items).toEqual([]);
  });

  it('refuses a wrong token or a bad address and stays where it was', async () => {
    const conn = await open();
    const before = conn.state();
    const wrong = await conn.call('connection.set', {
      server: { url: server.origin, token: 'not-the-token' },
    });
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.error.message).toMatch(/token/);
    const bad = await conn.call('connection.set', {
      server: { url: `${server.origin}/app?x=1`, token: 't' },
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ code: 'invalid_request', where: { field: 'url' } });
    const empty = await conn.call('connection.set', { server: { url: server.origin, token: ' ' } });
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(empty.error.where?.field).toBe('server.token');
    expect(conn.state()).toEqual(before);
  });

  it('a server refuses connection.set: only the desktop app connects elsewhere', async () => {
    const res = await fetch(`${server.origin}/api/connection.set`, {
      method: 'POST',
      headers: { 'x-faceinsight-token': server.token },
      body: JSON.stringify({ server: null }),
    });
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });
});
