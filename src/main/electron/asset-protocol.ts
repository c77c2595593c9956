// The fi-asset:// protocol: dataset images and thumbnails for the renderer, looked up by id, streamed from disk.
import { net, protocol, type Protocol } from 'electron';
import { pathToFileURL } from 'node:url';
import type { AssetKind } from '../../shared/api';
import { AppError } from '../../shared/errors';
import { ASSET_SCHEME, assetErrorStatus, parseAssetUrl } from '../security';
import { logger } from '../log';

export type ResolveAsset = (
  kind: AssetKind,
  id: number,
  params?: URLSearchParams,
) => Promise<{ path: string; contentType: string; body?: Buffer }>;

/**
 * Declares fi-asset as a standard, secure scheme that fetch() and <img> may use. Electron only accepts this before
 * the app's `ready` event. `corsEnabled` with `Access-Control-Allow-Origin: *` lets the renderer read pixels of an
 * image it drew on a canvas (mask tools) without tainting it; only this app's sessions can reach the scheme.
 */
export function registerAssetScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: ASSET_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true },
    },
  ]);
}

function refuse(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/**
 * Serves fi-asset://<kind>/<id> on a session's protocol. The URL names a row id, never a path; `resolve` (the app
 * host) maps it to a file and applies the asset-path guard (registered dataset roots only, no `..`, no symlink
 * escape). Not found is 404, a refused path or malformed URL 403, anything else 500. Returns the unregister
 * function.
 */
export function handleAssetProtocol(proto: Protocol, resolve: ResolveAsset): () => void {
  proto.handle(ASSET_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'Method not allowed');
    const asset = parseAssetUrl(request.url);
    if (!asset) return refuse(403, 'Forbidden');
    try {
      const file = await resolve(asset.kind, asset.id, asset.params);
      if (file.body) {
        // Masks come from the database, not from a file.
        const body = request.method === 'HEAD' ? null : new Uint8Array(file.body);
        return new Response(body, {
          status: 200,
          headers: {
            'Content-Type': file.contentType,
            'Cache-Control': 'no-cache',
            'X-Content-Type-Options': 'nosniff',
            'Access-Control-Allow-Origin': '*',
          },
        });
      }
      // net.fetch on the file URL streams the file instead of reading it whole into memory.
      const res = await net.fetch(pathToFileURL(file.path).href);
      if (!res.ok) return refuse(404, 'Not found');
      const headers: Record<string, string> = {
        'Content-Type': file.contentType,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'Access-Control-Allow-Origin': '*',
      };
      const length = res.headers.get('Content-Length');
      if (length) headers['Content-Length'] = length;
      return new Response(request.method === 'HEAD' ? null : res.body, { status: 200, headers });
    } catch (err) {
      const e = AppError.from(err);
      if (e.code === 'internal' || e.code === 'io_error') logger().error({ err }, `fi-asset ${request.url}`);
      return refuse(assetErrorStatus(e.code), e.message);
    }
  });
  return () => proto.unhandle(ASSET_SCHEME);
}
