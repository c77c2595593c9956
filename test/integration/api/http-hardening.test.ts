// Browser mode's HTTP edges: broken percent-encoding is a 400, the Host check holds on a wildcard bind (with
// --allow-host names), and the page's CSP is the desktop one less the Electron-only scheme.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppErrorData } from '../../../src/shared/errors';
import type { AppHost } from '../../../src/main/app';
import { CONTENT_SECURITY_POLICY, parseCsp } from '../../../src/main/security';
import { CSP, startHttpServer, type HttpServer } from '../../../src/main/transports/http';
import { startTestApp } from '../../helpers/app';
import { tempDir } from '../../helpers/fs';

let host: AppHost;
let http: HttpServer;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  const staticDir = join(t.dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>FaceInsight Studio</title>');
  host = await startTestApp(join(t.dir, 'data'));
  http = await startHttpServer(host, { staticDir, port: 0, host: '0.0.0.0', allowHosts: ['Faces.LAN'] });
});
afterAll(async () => {
  await http.close();
  await host.close();
  cleanup();
});

/** A raw request (fetch cannot set Host) over loopback; resolves with the status and the parsed body. */
function send(path: string, hostHeader: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { port: http.port, host: '127.0.0.1', path, method, headers: { host: hostHeader } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('browser mode over HTTP', () => {
  it('answers a broken percent-encoding with 400 invalid_request, on pages and API paths', async () => {
    for (const [path, method] of [
      ['/%E0%A4%A', 'GET'],
      [`/api/%E0%A4%A?token=${http.token}`, 'POST'],
    ] as const) {
      const r = await send(path, `127.0.0.1:${http.port}`, method);
      expect(r.status, path).toBe(400);
      const error = (JSON.parse(r.body) as { error: AppErrorData }).error;
      expect(error).toMatchObject({
        code: 'invalid_request',
        message: expect.stringMatching(/percent-encoding/),
      });
      expect(r.body).not.toMatch(/at .*\.ts:\d+/);
    }
  });

  it('keeps the Host check when bound to 0.0.0.0: loopback, the bound address and --allow-host names only', async () => {
    const info = `/api/app.info?token=${http.token}`;
    expect((await send(info, 'evil.com', 'POST')).status).toBe(403);
    expect((await send(info, `evil.com:${http.port}`, 'POST')).status).toBe(403);
    for (const ok of [
      `127.0.0.1:${http.port}`,
      `localhost:${http.port}`,
      '0.0.0.0',
      `faces.lan:${http.port}`,
    ])
      expect((await send(info, ok, 'POST')).status, ok).toBe(200);
  });

  it('serves the desktop CSP without the fi-asset scheme', async () => {
    const page = await fetch(`http://127.0.0.1:${http.port}/`);
    expect(page.headers.get('content-security-policy')).toBe(CSP);
    const browser = parseCsp(CSP);
    const desktop = parseCsp(CONTENT_SECURITY_POLICY);
    expect([...browser.keys()]).toEqual([...desktop.keys()]);
    for (const [name, sources] of desktop)
      expect(browser.get(name), name).toEqual(sources.filter((s) => s !== 'fi-asset:'));
    expect(browser.get('style-src')).toEqual(["'self'"]);
  });
});
