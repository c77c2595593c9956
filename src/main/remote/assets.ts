// fi-asset:// requests of the desktop app while it is a team server's client: the same URL (kind, id, mask source /
// version) fetched from the server's asset route with the token, answered with the headers the local handler sets.
import { parseAssetUrl } from '../security';
import type { RemoteServer } from './client';

export async function proxyAsset(
  server: Pick<RemoteServer, 'fetchAsset'>,
  request: Request,
): Promise<Response> {
  const text = (status: number, message: string) =>
    new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Method not allowed');
  const asset = parseAssetUrl(request.url);
  if (!asset) return text(403, 'Forbidden');
  let res: Response;
  try {
    res = await server.fetchAsset(asset.kind, asset.id, asset.params);
  } catch {
    return text(502, 'Team server unreachable');
  }
  return new Response(request.method === 'HEAD' ? null : res.body, {
    status: res.status,
    headers: {
      'Content-Type': res.headers.get('content-type') ?? 'application/octet-stream',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      // As the local handler: the renderer reads back pixels it drew on a canvas (mask tools).
      'Access-Control-Allow-Origin': '*',
    },
  });
}
