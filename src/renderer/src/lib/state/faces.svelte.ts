// The face gallery: a query, its total and facet counts, pages loaded by offset as the grid scrolls, selection.
import type { ApiClient, FaceFacets, FaceQuery, FaceSummary, ReviewStatus } from '@shared/api';
import { NO_FACES, toggled, withRange } from './face-selection';
import type { Notices } from './notices.svelte';
import type { FaceFilterQuery } from './route.svelte';

export const PAGE = 200;

export type GalleryFace = FaceSummary & { imageWidth?: number | null; imageHeight?: number | null };

export class FaceGalleryState {
  datasetId = $state<number | null>(null);
  query = $state.raw<FaceFilterQuery>({});
  total = $state(0);
  /** Sparse: index → face; holes are rows not loaded yet. Replaced (not mutated) when a page arrives. */
  items = $state.raw<(GalleryFace | undefined)[]>([]);
  facets = $state.raw<FaceFacets | null>(null);
  selected = $state.raw<ReadonlySet<number>>(NO_FACES);
  focused = $state(0);
  loading = $state(false);
  #api: ApiClient;
  #notices: Notices;
  #seq = 0;
  /** Pages asked for under the current query (plain data: the grid's effect reads and writes it). */
  #requested: Record<number, true> = {};

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
  }

  get focusedFace(): GalleryFace | null {
    return this.items[this.focused] ?? null;
  }

  /** Shows a dataset under a query: counts and the first page; older answers are dropped. */
  async show(datasetId: number | null, query: FaceFilterQuery): Promise<void> {
    const changed = datasetId !== this.datasetId || JSON.stringify(query) !== JSON.stringify(this.query);
    this.datasetId = datasetId;
    this.query = query;
    if (changed) {
      this.selected = NO_FACES;
      this.focused = 0;
    }
    // The route answers one filter change twice (the edit, then the hash): the load in flight already serves
    // the same query, and a second one would queue behind it in main (at 100k faces, list + counts again).
    if (!changed && this.loading) return;
    await this.refresh(changed);
  }

  /** Reloads counts and the pages on screen (after edits or job progress). */
  async refresh(reset = false): Promise<void> {
    const seq = ++this.#seq;
    // This load brings page 0 itself: the grid, redrawn for the new query meanwhile, must not ask for it again
    // (a second faces.list would queue in main behind the facet counts).
    this.#requested = { 0: true };
    if (this.datasetId === null) {
      this.items = [];
      this.total = 0;
      this.facets = null;
      return;
    }
    this.loading = true;
    const req = { datasetId: this.datasetId, ...this.query };
    try {
      // Counts come second and apart: main answers in order, and the grid need not wait for every facet.
      const pending = this.#api.call('faces.list', { ...req, offset: 0, limit: PAGE });
      void this.#facets(seq, req);
      const page = await pending;
      if (seq !== this.#seq) return;
      const items: (GalleryFace | undefined)[] = reset
        ? new Array(page.total)
        : this.items.slice(0, page.total);
      items.length = page.total;
      page.items.forEach((f, i) => (items[i] = f));
      this.items = items;
      this.total = page.total;
      this.focused = Math.min(this.focused, Math.max(0, page.total - 1));
    } catch (err) {
      if (seq === this.#seq) {
        delete this.#requested[0];
        this.#notices.report(err);
      }
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  async #facets(seq: number, req: FaceQuery): Promise<void> {
    try {
      const facets = await this.#api.call('faces.facets', req);
      if (seq === this.#seq) this.facets = facets;
    } catch (err) {
      if (seq === this.#seq) this.#notices.report(err);
    }
  }

  /** Makes sure rows [start, end) are loaded (called by the grid for what is on screen). */
  ensure(start: number, end: number): void {
    if (this.datasetId === null) return;
    for (let p = Math.floor(start / PAGE); p * PAGE < Math.min(end, this.total); p++) {
      if (this.#requested[p]) continue;
      this.#requested[p] = true;
      void this.#load(p);
    }
  }

  async #load(p: number): Promise<void> {
    const seq = this.#seq;
    try {
      const page = await this.#api.call('faces.list', {
        datasetId: this.datasetId!,
        ...this.query,
        offset: p * PAGE,
        limit: PAGE,
      });
      if (seq !== this.#seq) return;
      const items = this.items.slice();
      page.items.forEach((f, i) => (items[p * PAGE + i] = f));
      this.items = items;
    } catch (err) {
      delete this.#requested[p];
      if (seq === this.#seq) this.#notices.report(err);
    }
  }

  /**
   * Faces changed elsewhere (`faces.changed`): the loaded pages holding them are read again in place (or, with
   * null, every loaded page), with the counts; focus, selection and scroll position stay.
   */
  changed(faceIds: readonly number[] | null): void {
    if (this.datasetId === null) return;
    const pages: Record<number, true> = {};
    if (faceIds === null) Object.assign(pages, this.#requested);
    else
      this.items.forEach((f, i) => {
        if (f && faceIds.includes(f.id)) pages[Math.floor(i / PAGE)] = true;
      });
    for (const p of Object.keys(pages)) void this.#load(Number(p));
    void this.#facets(this.#seq, { datasetId: this.datasetId, ...this.query });
  }

  toggle(id: number, range = false): void {
    const anchor = range ? this.focusedFace?.id : undefined;
    this.selected =
      anchor === undefined ? toggled(this.selected, id) : withRange(this.selected, this.items, anchor, id);
  }

  clearSelection(): void {
    this.selected = NO_FACES;
  }

  /** Bulk: marks the selected faces with a review status (one call), then refreshes counts. */
  async markSelected(status: ReviewStatus): Promise<boolean> {
    const faceIds = [...this.selected];
    if (faceIds.length === 0) return false;
    try {
      await this.#api.call('reviews.set', { faceIds, status });
      await this.refresh();
      return true;
    } catch (err) {
      this.#notices.report(err);
      return false;
    }
  }

  /** Bulk: sets one attribute on the selected faces (one transaction in main, violations re-checked). */
  async labelSelected(key: string, value: string | number | null): Promise<boolean> {
    const faceIds = [...this.selected];
    if (faceIds.length === 0) return false;
    try {
      await this.#api.call('labels.bulkSet', { faceIds, key, value });
      await this.refresh();
      return true;
    } catch (err) {
      this.#notices.report(err);
      return false;
    }
  }
}
