// Electron-free security decisions of the desktop shell: CSP, renderer source, page allow-list, fi-asset URLs.
import { pathToFileURL } from 'node:url';
import type { AssetKind } from '../shared/api';
import type { ErrorCode } from '../shared/errors';

/**
 * The renderer's Content-Security-Policy. Sent as a header for http(s) app pages (the dev server); the renderer's
 * index.html carries the same policy in a meta tag, because file:// pages have no headers (a meta tag cannot set
 * frame-ancestors, so only the header has it). `fi-asset:` serves dataset images; scripts and styles come from the
 * app's own files only: no eval, no inline code, nothing remote.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' fi-asset: data: blob:",
  // The review screen fetches mask PNGs (label ids) to decode them itself.
  "connect-src 'self' fi-asset:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Parses a CSP string into directive -> sources, for checks and tests. */
export function parseCsp(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), sources);
  }
  return out;
}

/**
 * Returns response headers with our CSP in place of any the server sent (header names are case-insensitive, so
 * every spelling of Content-Security-Policy is dropped first). The input is not modified.
 */
export function withCsp(
  headers: Record<string, string | string[]> | undefined,
  policy: string = CONTENT_SECURITY_POLICY,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === 'content-security-policy') continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  out['Content-Security-Policy'] = [policy];
  return out;
}

/** The custom scheme that serves dataset files to the renderer (`fi-asset://image/12`, `fi-asset://thumb/12`). */
export const ASSET_SCHEME = 'fi-asset';
const ASSET_KINDS: readonly AssetKind[] = ['image', 'thumb', 'face', 'mask'];
/** Query parameters an asset URL may carry (which mask version); anything else makes the URL invalid. */
const ASSET_PARAMS = new Set(['source', 'version']);

/** The URL the renderer puts in an <img src> for an asset. */
export function assetUrl(kind: AssetKind, id: number): string {
  return `${ASSET_SCHEME}://${kind}/${id}`;
}

/**
 * Reads `fi-asset://<kind>/<id>`; anything else (other schemes, unknown kinds, non-integer or extra path segments,
 * credentials, ports) is null. The URL names a database row, never a path: the file is found by id and checked by
 * the asset-path guard, so a crafted URL cannot name a file.
 */
export function parseAssetUrl(raw: string): { kind: AssetKind; id: number; params?: URLSearchParams } | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not a URL at all: the caller answers 403, nothing to report beyond that.
    return null;
  }
  if (url.protocol !== `${ASSET_SCHEME}:` || url.username || url.password || url.port) return null;
  const kind = ASSET_KINDS.find((k) => k === url.hostname);
  const match = /^\/([1-9][0-9]{0,15})\/?$/.exec(url.pathname);
  if (!kind || !match?.[1]) return null;
  if ([...url.searchParams.keys()].some((k) => !ASSET_PARAMS.has(k))) return null;
  const id = Number(match[1]);
  if (!Number.isSafeInteger(id)) return null;
  return url.search ? { kind, id, params: url.searchParams } : { kind, id };
}

/** HTTP status for an asset request that failed with an AppError code. */
export function assetErrorStatus(code: ErrorCode): number {
  switch (code) {
    case 'not_found':
      return 404;
    case 'invalid_request':
      return 403;
    default:
      return 500;
  }
}

/** Where the renderer is loaded from: the dev server (electron-vite's ELECTRON_RENDERER_URL) or the built file. */
export type RendererSource = { kind: 'url'; url: string } | { kind: 'file'; url: string };

/**
 * Picks the renderer's source. The dev server URL is honoured only in unpackaged runs and only on loopback http:
 * a packaged app must never load a page named by its environment, since that page would get the preload's bridge.
 */
export function rendererSource(opts: {
  devUrl: string | undefined;
  packaged: boolean;
  indexHtml: string;
}): RendererSource {
  if (opts.devUrl && !opts.packaged) {
    try {
      const url = new URL(opts.devUrl);
      if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return { kind: 'url', url: url.href };
    } catch {
      // A malformed dev URL falls through to the built renderer.
    }
  }
  return { kind: 'file', url: pathToFileURL(opts.indexHtml).href };
}
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a URL is the app's own page: the same file as the built renderer's index.html (query and hash may
 * differ), or the dev server's origin. Navigation to anything else is denied, and IPC from any other frame is
 * refused, so remote content can never use the preload's bridge.
 */
export function isAppPage(target: string, entry: RendererSource): boolean {
  let to: URL;
  let from: URL;
  try {
    to = new URL(target);
    from = new URL(entry.url);
  } catch {
    // An unparsable URL is never the app's page.
    return false;
  }
  if (entry.kind === 'file')
    return to.protocol === 'file:' && to.host === '' && to.pathname === from.pathname;
  return to.protocol === from.protocol && to.origin === from.origin;
}

/**
 * Whether a response gets the CSP header: anything from the dev server's origin. file:// pages carry the meta tag
 * instead (webRequest sees no headers for them).
 */
export function isAppResponse(url: string, entry: RendererSource): boolean {
  return entry.kind === 'url' && isAppPage(url, entry);
}
