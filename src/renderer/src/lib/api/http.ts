// ApiClient for browser mode: one POST per method, server-sent events, asset routes; all carry the run's token.
import type { ApiClient, AssetKind, EventName, Events, Method, Req, Res } from '@shared/api';
import { AppError } from '@shared/errors';
import { unwrap } from './envelope';

const TOKEN_KEY = 'faceinsight.token';

/**
 * The server prints `/?token=T`; we keep it in sessionStorage so a reload of a URL without it (or after the
 * hash changed) still works, while a new tab or browser session has to come through the printed URL.
 */
export function readToken(location: Location, storage: Storage): string {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return storage.getItem(TOKEN_KEY) ?? '';
}

export function createHttpApi(token: string, origin = ''): ApiClient {
  const q = `token=${encodeURIComponent(token)}`;
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let source: EventSource | null = null;

  // One EventSource for all events, opened on the first subscription; it reconnects by itself.
  function attach(event: string): void {
    source ??= new EventSource(`${origin}/events?${q}`);
    source.addEventListener(event, (e) => {
      let payload: unknown;
      try {
        payload = JSON.parse((e as MessageEvent<string>).data);
      } catch {
        return; // a malformed event is dropped; clients refetch on the next one
      }
      for (const fn of listeners.get(event) ?? []) fn(payload);
    });
  }

  return {
    async call<M extends Method>(method: M, req: Req<M>): Promise<Res<M>> {
      let response: Response;
      try {
        response = await fetch(`${origin}/api/${method}?${q}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(req),
        });
      } catch {
        throw new AppError('io_error', `${method}: cannot reach the FaceInsight server`, {
          hint: 'Is `faceinsight serve` still running?',
        });
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        const hint =
          response.status === 403 ? 'Open the URL the server printed (it carries the token).' : undefined;
        throw new AppError('io_error', `${method}: HTTP ${response.status} ${response.statusText}`.trim(), {
          hint,
        });
      }
      return unwrap<Res<M>>(method, body);
    },
    on<E extends EventName>(event: E, fn: (payload: Events[E]) => void): () => void {
      const cast = fn as (payload: unknown) => void;
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
        attach(event);
      }
      set.add(cast);
      return () => set.delete(cast);
    },
    assetUrl(kind: AssetKind, id: number, params?: Record<string, string | number>): string {
      const extra = params ? Object.entries(params).map(([k, v]) => `&${k}=${encodeURIComponent(v)}`) : [];
      return `${origin}/assets/${kind}/${id}?${q}${extra.join('')}`;
    },
  };
}
