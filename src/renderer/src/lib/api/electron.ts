// ApiClient over the preload bridge (`window.api`), used when the renderer runs inside Electron.
import type { ApiClient, AssetKind, EventName, Events, Method, Req, Res } from '@shared/api';
import { AppError } from '@shared/errors';
import { unwrap } from './envelope';

/** What src/preload exposes with contextBridge; every call answers an envelope. */
export interface PreloadBridge {
  call(method: string, req: unknown): Promise<unknown>;
  on(event: string, fn: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    api?: PreloadBridge;
  }
}

export function createElectronApi(bridge: PreloadBridge): ApiClient {
  return {
    async call<M extends Method>(method: M, req: Req<M>): Promise<Res<M>> {
      let envelope: unknown;
      try {
        envelope = await bridge.call(method, req);
      } catch (err) {
        // ipcRenderer.invoke keeps only the message of a thrown error; the envelope is the normal path.
        throw AppError.from(err);
      }
      return unwrap<Res<M>>(method, envelope);
    },
    on<E extends EventName>(event: E, fn: (payload: Events[E]) => void): () => void {
      return bridge.on(event, (payload) => fn(payload as Events[E]));
    },
    assetUrl(kind: AssetKind, id: number, params?: Record<string, string | number>): string {
      const query = params ? Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`) : [];
      return `fi-asset://${kind}/${id}${query.length > 0 ? `?${query.join('&')}` : ''}`;
    },
  };
}
