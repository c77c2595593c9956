// The gallery view as plain data, kept in the URL hash so a reload or a shared link shows the same thing.
import type { GalleryFilter } from './gallery.svelte';

export interface View {
  datasetId: number | null;
  filter: GalleryFilter;
}

export function parseView(hash: string): View {
  // The other screens' routes (`#/faces?ds=1`) name the dataset as `ds`.
  const routed = /^#\/[^?]*\?(.*)$/.exec(hash);
  const params = new URLSearchParams(routed ? routed[1] : hash.replace(/^#/, ''));
  const id = Number(params.get(routed ? 'ds' : 'dataset'));
  return {
    datasetId: Number.isInteger(id) && id > 0 ? id : null,
    filter: params.get('status') === 'error' ? 'error' : 'all',
  };
}

export function formatView(view: View): string {
  const params = new URLSearchParams();
  if (view.datasetId !== null) params.set('dataset', String(view.datasetId));
  if (view.filter !== 'all') params.set('status', view.filter);
  const text = params.toString();
  return text ? `#${text}` : '';
}
