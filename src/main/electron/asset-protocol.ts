// The fi-asset:// protocol: dataset images and thumbnails for the renderer, looked up by id, streamed from disk.
import { net, protocol, type Protocol } from 'electron';
import { assetHandler, type ResolveAsset } from '../asset-response';
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
 * tested without Electron): the whole request, query included, reaches the host. Returns the unregister function.
 */
export function handleAssetProtocol(proto: Protocol, host: { resolveAsset: ResolveAsset }): () => void {
  // net.fetch on the file URL streams the file instead of reading it whole into memory.
  proto.handle(
    ASSET_SCHEME,
    assetHandler(host, (url) => net.fetch(url)),
  );
  return () => proto.unhandle(ASSET_SCHEME);
}
