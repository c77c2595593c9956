// Electron-free answer to one fi-asset:// request: URL -> asset request (kind, id, mask source / version) -> Response.
import { pathToFileURL } from 'node:url';
import type { AssetKind } from '../shared/api';
import { AppError } from '../shared/errors';
import { logger } from './log';
import { assetErrorStatus, parseAssetUrl } from './security';

export type ResolveAsset = (
  kind: AssetKind,
  id: number,
  params?: URLSearchParams,
) => Promise<{ path: string; contentType: string; body?: Buffer }>;

/** Streams a file URL (Electron's net.fetch; it does not read the file whole). */
export type FetchFile = (fileUrl: string) => Promise<Response>;

function refuse(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/**
 * The fi-asset protocol handler for `host`: the URL names a row id, never a path; the host maps it to a file and
 * applies the asset-path guard. Query parameters (a mask's `source` / `version`) reach the host, so the review
 * screen's mask choice works in the desktop app as over HTTP. Not found is 404, a refused path or malformed URL
 * 403, anything else 500.
 */
export function assetHandler(
  host: { resolveAsset: ResolveAsset },
  fetchFile: FetchFile,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'Method not allowed');
    const asset = parseAssetUrl(request.url);
    if (!asset) return refuse(403, 'Forbidden');
    const headers: Record<string, string> = {
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      // Lets the renderer read back pixels it drew on a canvas (mask tools); only this app reaches the scheme.
      'Access-Control-Allow-Origin': '*',
    };
    try {
      const file = await host.resolveAsset(asset.kind, asset.id, asset.params);
      headers['Content-Type'] = file.contentType;
      if (file.body) {
        // Masks come from the database, not from a file.
        const body = request.method === 'HEAD' ? null : new Uint8Array(file.body);
        return new Response(body, { status: 200, headers });
      }
      const res = await fetchFile(pathToFileURL(file.path).href);
      if (!res.ok) return refuse(404, 'Not found');
      const length = res.headers.get('Content-Length');
      if (length) headers['Content-Length'] = length;
      return new Response(request.method === 'HEAD' ? null : res.body, { status: 200, headers });
    } catch (err) {
      const e = AppError.from(err);
      if (e.code === 'internal' || e.code === 'io_error') logger().error({ err }, `fi-asset ${request.url}`);
      return refuse(assetErrorStatus(e.code), e.message);
    }
  };
}
