// The fi-asset:// protocol: dataset images and thumbnails for the renderer, looked up by id, streamed from disk.
import { net, protocol, type Protocol } from 'electron';
import { assetHandler } from '../asset-response';
import { proxyAsset } from '../remote/assets';
import type { Backend } from '../remote/connection';
import { ASSET_SCHEME } from '../security';

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

/**
 * Serves fi-asset://<kind>/<id>[?source=&version=] on a session's protocol with assetHandler (asset-response.ts,
 * tested without Electron) for the local database, or from the team server's asset route (remote/assets.ts): the
 * whole request, query included, reaches the backend active at that moment. Returns the unregister function.
 */
export function handleAssetProtocol(proto: Protocol, backend: () => Backend): () => void {
  proto.handle(ASSET_SCHEME, (request) => {
    const b = backend();
    if (b.kind === 'server') return proxyAsset(b.server, request);
    // net.fetch on the file URL streams the file instead of reading it whole into memory.
    return assetHandler(b.host, (url) => net.fetch(url))(request);
  });
  return () => proto.unhandle(ASSET_SCHEME);
}
