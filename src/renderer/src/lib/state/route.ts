// The screen in the URL hash (`#/faces?ds=1&q={…}`, `#/images?ds=1&status=error`) as data: the one URL scheme.
// Links of the retired image gallery (`#dataset=1&status=error`) read as the Images screen they showed.
import type { FaceQuery } from '@shared/api';

export const SCREENS = [
  'library',
  'images',
  'faces',
  'stats',
  'identities',
  'rules',
  'export',
  'settings',
] as const;
export type Screen = (typeof SCREENS)[number] | 'review';

/** The gallery filter without the dataset (that is `ds`): what a URL and a saved view carry. */
export type FaceFilterQuery = Omit<FaceQuery, 'datasetId' | 'cursor' | 'limit' | 'offset' | 'imageId'>;

export interface Route {
  screen: Screen;
  datasetId: number | null;
  query: FaceFilterQuery;
  /** The face id of `#/review/<id>`. */
  faceId: number | null;
  /** The Images screen's filter: every file, or only the unreadable ones. */
  status: ImageFilter;
}

export type ImageFilter = 'all' | 'error';

function parseQuery(text: string | null): FaceFilterQuery {
  if (!text) return {};
  try {
    const q = JSON.parse(text) as unknown;
    return q && typeof q === 'object' && !Array.isArray(q) ? (q as FaceFilterQuery) : {};
  } catch {
    return {}; // a hand-edited hash that is not JSON shows the unfiltered gallery
  }
}

export function parseRoute(hash: string): Route {
  const none = { query: {}, faceId: null, status: 'all' } as const;
  if (hash === '' || hash === '#') return { screen: 'library', datasetId: null, ...none };
  const m = /^#\/([a-z]+)(?:\/(\d+))?(?:\?(.*))?$/.exec(hash);
  if (!m) {
    // The old form: `#dataset=1&status=error`.
    const params = new URLSearchParams(hash.replace(/^#/, ''));
    const id = Number(params.get('dataset'));
    const status = params.get('status') === 'error' ? 'error' : 'all';
    return { screen: 'images', datasetId: Number.isInteger(id) && id > 0 ? id : null, ...none, status };
  }
  const params = new URLSearchParams(m[3] ?? '');
  const ds = Number(params.get('ds'));
  const name = m[1] as Screen;
  const screen: Screen =
    name === 'review' || (SCREENS as readonly string[]).includes(name) ? name : 'library';
  return {
    screen,
    datasetId: Number.isInteger(ds) && ds > 0 ? ds : null,
    query: parseQuery(params.get('q')),
    faceId: m[2] ? Number(m[2]) : null,
    status: screen === 'images' && params.get('status') === 'error' ? 'error' : 'all',
  };
}

/** Drops empty values so equal filters give equal URLs. */
export function cleanQuery(q: FaceFilterQuery): FaceFilterQuery {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === '' || v === null) continue;
    if (k === 'attr' && typeof v === 'object') {
      const attr = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== ''));
      if ('key' in attr) out.attr = attr;
      continue;
    }
    out[k] = v;
  }
  return out as FaceFilterQuery;
}

export function formatRoute(r: Pick<Route, 'screen' | 'datasetId'> & Partial<Route>): string {
  const params = new URLSearchParams();
  if (r.datasetId !== null) params.set('ds', String(r.datasetId));
  const q = cleanQuery(r.query ?? {});
  if (Object.keys(q).length > 0) params.set('q', JSON.stringify(q));
  if (r.screen === 'images' && r.status === 'error') params.set('status', 'error');
  const tail = params.toString();
  const path = r.screen === 'review' && r.faceId ? `review/${r.faceId}` : r.screen;
  return `#/${path}${tail ? `?${tail}` : ''}`;
}
