// Browser mode: serves the built renderer, one JSON endpoint per method, SSE for events, asset routes.
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { extname, join, normalize, relative, sep, isAbsolute } from 'node:path';
import { AppError } from '../../shared/errors';
import type { AppHost } from '../app';
import type { Caller } from '../service';
import { ASSET_SCHEME, CONTENT_SECURITY_POLICY, parseCsp } from '../security';
import { logger } from '../log';

/**
 * Browser mode's CSP: the desktop policy (security.ts) less the `fi-asset:` scheme, which only Electron serves;
 * assets come from this origin's /assets/ routes. frame-ancestors works here since the page has headers.
 */
export const CSP = [...parseCsp(CONTENT_SECURITY_POLICY)]
  .map(([name, sources]) => [name, ...sources.filter((s) => s !== `${ASSET_SCHEME}:`)].join(' '))
  .join('; ');

/** Host names a loopback-only server always answers to (the DNS-rebinding guard). */
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The Host header values the server answers to: loopback names, the bound address, and for a wildcard bind
 * (0.0.0.0, ::) the machine's own addresses, plus names given with --allow-host. IP literals cannot be rebound
 * by DNS; any other name must be listed.
 */
export function allowedHosts(bind: string, extra: readonly string[] = []): Set<string> {
  const bracket = (a: string) => (a.includes(':') && !a.startsWith('[') ? `[${a}]` : a);
  const names = [...LOOPBACK_HOSTS, bind, ...extra].map((n) => bracket(n.toLowerCase()));
  if (bind === '0.0.0.0' || bind === '::') {
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) names.push(bracket(a.address.toLowerCase()));
  }
  return new Set(names);
}

/** The Host header without its port, lower-cased (`[::1]:8080` -> `[::1]`). */
function hostName(header: string | undefined): string {
  return (header ?? '').toLowerCase().replace(/:\d+$/, '');
}

/** decodeURIComponent that answers a broken %-escape (`/%E0%A4%A`) with a 400, not an internal error. */
function decodePath(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new AppError('invalid_request', 'malformed percent-encoding in the request path');
  }
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const MAX_BODY = 1 << 20;

export interface HttpOptions {
  host?: string;
  port?: number;
  /** Folder with the built renderer (index.html). */
  staticDir: string;
  token?: string;
  /**
   * Team mode: every API request, event stream and asset route needs a personal token (`faceinsight users
   * add`), resolved to its user, instead of the per-run token; the user goes with each call.
   */
  team?: boolean;
  /** More Host header names to answer to (e.g. the machine's DNS name when bound to 0.0.0.0). */
  allowHosts?: readonly string[];
}

export interface HttpServer {
  server: Server;
  /** The URL to open: with the per-run token, or (team mode) without one: each person adds their own. */
  url: string;
  /** The per-run token; empty in team mode. */
  token: string;
  port: number;
  close(): Promise<void>;
}

function sameToken(a: string | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function fail(res: ServerResponse, status: number, err: AppError): void {
  sendJson(res, status, { ok: false, error: err.toJSON() });
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new AppError('invalid_request', 'request body too large (max 1 MiB)');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startHttpServer(host: AppHost, opts: HttpOptions): Promise<HttpServer> {
  const token = opts.team ? '' : (opts.token ?? randomBytes(24).toString('hex'));
  const bind = opts.host ?? '127.0.0.1';
  const hosts = allowedHosts(bind, opts.allowHosts);
  const sse = new Set<ServerResponse>();

  const offEvents = host.on((event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of sse) res.write(frame);
  });
  const heartbeat = setInterval(() => {
    for (const res of sse) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  async function serveStatic(res: ServerResponse, pathname: string): Promise<void> {
    const rel = pathname === '/' ? 'index.html' : decodePath(pathname.slice(1));
    const file = normalize(join(opts.staticDir, rel));
    const inside = relative(opts.staticDir, file);
    if (inside.startsWith('..' + sep) || inside === '..' || isAbsolute(inside)) {
      return fail(res, 403, new AppError('invalid_request', 'path outside the app'));
    }
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) return fail(res, 404, new AppError('not_found', `not found: ${pathname}`));
    const type = STATIC_TYPES[extname(file)] ?? 'application/octet-stream';
    const headers: Record<string, string> = {
      'content-type': type,
      'content-length': String(st.size),
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    };
    if (type.startsWith('text/html')) {
      headers['content-security-policy'] = CSP;
      headers['x-frame-options'] = 'DENY';
      headers['referrer-policy'] = 'no-referrer';
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      throw new AppError('invalid_request', 'malformed request URL');
    }
    // DNS-rebinding guard, on every bind address: only the names allowedHosts() lists are answered.
    if (!hosts.has(hostName(req.headers.host))) {
      return fail(res, 403, new AppError('invalid_request', 'unexpected Host header'));
    }
    const path = url.pathname;
    const isProtected = path.startsWith('/api/') || path === '/events' || path.startsWith('/assets/');
    if (!isProtected) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return fail(res, 405, new AppError('invalid_request', 'method not allowed'));
      }
      return serveStatic(res, path);
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const given =
      url.searchParams.get('token') ??
      (req.headers['x-faceinsight-token'] as string | undefined) ??
      bearer ??
      null;
    let caller: Caller | undefined;
    if (opts.team) {
      const user = given ? host.userByToken(given) : null;
      if (!user) {
        return fail(
          res,
          401,
          new AppError(
            'unauthorized',
            given
              ? 'unknown or revoked user token'
              : 'this server is in team mode: a personal user token is required',
            {
              hint:
                'Open the app with ?token=YOUR_TOKEN or send "Authorization: Bearer YOUR_TOKEN"; ' +
                'an admin makes one with `faceinsight users add NAME`.',
            },
          ),
        );
      }
      caller = user;
    } else if (!sameToken(given, token)) {
      return fail(
        res,
        403,
        new AppError('invalid_request', 'missing or wrong token', {
          hint: 'Open the URL printed by `faceinsight serve`.',
        }),
      );
    }
    if (path.startsWith('/api/')) {
      if (req.method !== 'POST') return fail(res, 405, new AppError('invalid_request', 'use POST'));
      const method = decodePath(path.slice('/api/'.length));
      let body: unknown;
      try {
        const text = await readBody(req);
        body = text.trim() === '' ? {} : JSON.parse(text);
      } catch (err) {
        const e =
          err instanceof AppError
            ? err
            : new AppError('invalid_request', `request body is not JSON: ${(err as Error).message}`);
        return fail(res, 400, e);
      }
      return sendJson(res, 200, await host.call(method, body, caller));
    }
    if (path === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      sse.add(res);
      req.on('close', () => sse.delete(res));
      return;
    }
    const m = /^\/assets\/([a-z]+)\/(\d+)$/.exec(path);
    if (!m) return fail(res, 404, new AppError('not_found', `no such asset route: ${path}`));
    try {
      const asset = await host.resolveAsset(m[1] as string, Number(m[2]), url.searchParams);
      if (asset.body) {
        // Database-held bytes (masks) change under the same URL when analysis re-runs: never cache them.
        res.writeHead(200, {
          'content-type': asset.contentType,
          'content-length': String(asset.body.length),
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
        });
        res.end(asset.body);
        return;
      }
      const st = await stat(asset.path);
      res.writeHead(200, {
        'content-type': asset.contentType,
        'content-length': String(st.size),
        'cache-control': 'private, max-age=3600',
        'x-content-type-options': 'nosniff',
      });
      createReadStream(asset.path).pipe(res);
    } catch (err) {
      const e = AppError.from(err);
      fail(res, e.code === 'not_found' ? 404 : e.code === 'invalid_request' ? 403 : 500, e);
    }
  }

  if (!existsSync(join(opts.staticDir, 'index.html'))) {
    throw new AppError('io_error', `the renderer is not built (${opts.staticDir}/index.html missing)`, {
      hint: 'Run `npm run build`.',
    });
  }
  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      const e = AppError.from(err);
      // A malformed request is the client's mistake: 400, no stack in the log.
      const status = e.code === 'invalid_request' ? 400 : 500;
      if (status === 500) logger().error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) fail(res, status, e);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, bind, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = bind.includes(':') ? `[${bind}]` : bind === '0.0.0.0' ? '127.0.0.1' : bind;
  return {
    server,
    token,
    port,
    url: opts.team ? `http://${shownHost}:${port}/` : `http://${shownHost}:${port}/?token=${token}`,
    async close() {
      offEvents();
      clearInterval(heartbeat);
      for (const res of sse) res.end();
      sse.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
