// One API suite run twice: against the service in-process and over the HTTP transport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, ImageSummary, Job, Page } from '../../../src/shared/api';
import type { AppErrorData, Envelope } from '../../../src/shared/errors';
import type { AppHost } from '../../../src/main/app';
import { startHttpServer, type HttpServer } from '../../../src/main/transports/http';
import { copySamples, tempDir } from '../../helpers/fs';
import { startTestApp } from '../../helpers/app';

type Caller = (method: string, req: unknown) => Promise<Envelope<unknown>>;

let host: AppHost;
let http: HttpServer;
let root: string;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  root = join(t.dir, 'photos');
  copySamples(root);
  const staticDir = join(t.dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>FaceInsight Studio</title>');
  host = await startTestApp(join(t.dir, 'data'));
  http = await startHttpServer(host, { staticDir, port: 0 });
});
afterAll(async () => {
  await http.close();
  await host.close();
  cleanup();
});

const viaHttp: Caller = async (method, req) => {
  const res = await fetch(`http://127.0.0.1:${http.port}/api/${method}?token=${http.token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Envelope<unknown>;
};

const transports: [string, () => Caller][] = [
  ['service', () => (m, r) => host.call(m, r)],
  ['http', () => viaHttp],
];

describe.each(transports)('API over %s', (_name, get) => {
  const ok = async <T>(m: string, r: unknown = {}) => {
    const env = await get()(m, r);
    if (!env.ok) throw new Error(`${m}: ${env.error.message}`);
    return env.value as T;
  };
  const err = async (m: string, r: unknown): Promise<AppErrorData> => {
    const env = await get()(m, r);
    expect(env.ok).toBe(false);
    return (env as { error: AppErrorData }).error;
  };

  it('answers app.info', async () => {
    const info = await ok<{ mode: string; dataDir: string }>('app.info');
    expect(info.mode).toBe('browser');
    expect(info.dataDir).toBe(host.info.dataDir);
  });

  it('rejects an invalid request with invalid_request naming the field', async () => {
    expect(await err('datasets.get', { id: 'seven' })).toMatchObject({
      code: 'invalid_request',
      where: { field: 'id' },
    });
    expect(await err('images.list', { datasetId: 1, limit: 5000 })).toMatchObject({
      where: { field: 'limit' },
    });
    expect(await err('datasets.create', { root: '' })).toMatchObject({ where: { field: 'root' } });
    expect(await err('datasets.list', { surprise: true })).toMatchObject({ code: 'invalid_request' });
    expect(await err('nope.nothing', {})).toMatchObject({
      code: 'invalid_request',
      where: { field: 'method' },
    });
  });

  it('reports a missing folder and an unknown id clearly', async () => {
    expect(await err('datasets.create', { root: join(root, 'missing') })).toMatchObject({
      code: 'io_error',
      where: { field: 'root' },
    });
    expect(await err('jobs.get', { id: 999999 })).toMatchObject({ code: 'not_found' });
    expect(await err('system.pickFolder', {})).toMatchObject({ code: 'invalid_request' });
  });

  it('creates a dataset from a folder, imports it and pages its images', async () => {
    const { dataset, job } = await ok<{ dataset: Dataset; job: Job }>('datasets.create', { root });
    for (let j = job; j.state !== 'done'; j = await ok<Job>('jobs.get', { id: job.id })) {
      expect(['queued', 'running']).toContain(j.state);
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = await ok<Page<ImageSummary>>('images.list', { datasetId: dataset.id, limit: 4 });
    expect(first.total).toBe(6);
    expect(first.items).toHaveLength(4);
    expect(first.nextCursor).not.toBeNull();
    const rest = await ok<Page<ImageSummary>>('images.list', {
      datasetId: dataset.id,
      limit: 4,
      cursor: first.nextCursor,
    });
    expect(rest.items.map((i) => i.relPath)).toEqual(['sample5.jpg', 'sample6.jpg']);
    expect(rest.nextCursor).toBeNull();
    const list = await ok<{ items: Dataset[] }>('datasets.list');
    expect(list.items.find((d) => d.id === dataset.id)).toMatchObject({ imageCount: 6, errorCount: 0 });
  });
});

describe('HTTP transport', () => {
  const base = () => `http://127.0.0.1:${http.port}`;

  it('refuses requests without the per-run token', async () => {
    const res = await fetch(`${base()}/api/app.info`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(403);
    const wrong = await fetch(`${base()}/api/app.info?token=${'0'.repeat(48)}`, {
      method: 'POST',
      body: '{}',
    });
    expect(wrong.status).toBe(403);
    expect((await fetch(`${base()}/events`)).status).toBe(403);
    expect((await fetch(`${base()}/assets/thumb/1`)).status).toBe(403);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          port: http.port,
          host: '127.0.0.1',
          path: `/api/app.info?token=${http.token}`,
          method: 'POST',
          headers: { host: 'evil.example:80' },
        },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(403);
  });

  it('answers malformed JSON with a 400 envelope', async () => {
    const res = await fetch(`${base()}/api/datasets.list?token=${http.token}`, {
      method: 'POST',
      body: '{oops',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: AppErrorData }).error.code).toBe('invalid_request');
  });

  it('serves thumbnails and originals as assets, 404 for unknown ids', async () => {
    const page = (await viaHttp('images.list', { datasetId: 1 })) as { ok: true; value: Page<ImageSummary> };
    const id = page.value.items[0]!.id;
    const thumb = await fetch(`${base()}/assets/thumb/${id}?token=${http.token}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect((await thumb.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const original = await fetch(`${base()}/assets/image/${id}?token=${http.token}`);
    expect(original.status).toBe(200);
    expect(Number(original.headers.get('content-length'))).toBeGreaterThan(50_000);
    expect((await fetch(`${base()}/assets/thumb/999999?token=${http.token}`)).status).toBe(404);
    expect((await fetch(`${base()}/assets/secret/${id}?token=${http.token}`)).status).toBe(403);
  });

  it('serves the app page with a strict CSP and blocks paths outside it', async () => {
    const page = await fetch(`${base()}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${base()}/%2e%2e/%2e%2e/package.json`)).status).toBeGreaterThanOrEqual(403);
  });

  it('streams job progress as server-sent events', async () => {
    const t = tempDir();
    copySamples(t.dir, ['sample1.jpg', 'sample2.jpg']);
    const ctrl = new AbortController();
    const res = await fetch(`${base()}/events?token=${http.token}`, { signal: ctrl.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const created = (await viaHttp('datasets.create', { root: t.dir })) as { ok: true; value: { job: Job } };
    let text = '';
    while (!/"state":"done"/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ctrl.abort();
    expect(text).toContain('event: jobs.progressed');
    expect(text).toContain(`"jobId":${created.value.job.id}`);
    expect(text).toContain('event: datasets.updated');
    t.cleanup();
  });
});
