// The Images screen's files, paged by cursor (so 200k images stay cheap) as the virtualised grid scrolls.
import type { ApiClient, FaceSummary, ImageStatus, ImageSummary } from '@shared/api';
import type { Notices } from './notices.svelte';
import type { ImageFilter } from './route';

/** Images per `images.list` call; the contract caps `limit` at 1000. */
export const PAGE_SIZE = 300;
const MAX_LIMIT = 1000;

export class ImageGalleryState {
  datasetId = $state<number | null>(null);
  filter = $state<ImageFilter>('all');
  items = $state.raw<ImageSummary[]>([]);
  /** Images matching the filter, loaded or not. */
  total = $state(0);
  loading = $state(false);
  /** True once the first page of the current view has arrived. */
  ready = $state(false);
  focused = $state(0);
  #nextCursor = $state<number | null>(null);
  /** A refresh asked for while a load was in flight; run when it lands so the last event is never lost. */
  #refreshAgain = false;
  /** How far the grid has asked for; a load that lands short of it reads on. */
  #wanted = 0;
  #api: ApiClient;
  #notices: Notices;
  /** Bumped by every new view; an answer for an older one is dropped. */
  #seq = 0;

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
  }

  /** The faces of the image in the preview (its boxes and links), with the image they belong to. */
  faces = $state.raw<{ imageId: number; items: FaceSummary[] } | null>(null);

  /** Loads an image's faces for the preview (the newest asked for wins). */
  async loadFaces(image: ImageSummary): Promise<void> {
    const seq = ++this.#facesSeq;
    try {
      const page = await this.#api.call('faces.list', {
        datasetId: image.datasetId,
        imageId: image.id,
        limit: 100,
      });
      if (seq === this.#facesSeq) this.faces = { imageId: image.id, items: page.items };
    } catch (err) {
      if (seq === this.#facesSeq) this.#notices.report(err);
    }
  }
  #facesSeq = 0;

  get hasMore(): boolean {
    return this.#nextCursor !== null;
  }

  get focusedImage(): ImageSummary | null {
    return this.items[this.focused] ?? null;
  }

  /** Switches to a dataset / filter and loads its first page. */
  async show(datasetId: number | null, filter: ImageFilter): Promise<void> {
    const seq = ++this.#seq;
    this.datasetId = datasetId;
    this.filter = filter;
    this.items = [];
    this.total = 0;
    this.focused = 0;
    this.ready = false;
    this.#nextCursor = null;
    this.#refreshAgain = false;
    this.#wanted = 0;
    this.loading = false;
    if (datasetId !== null) await this.#load(seq, undefined, PAGE_SIZE, false);
  }

  /** Appends the next page. */
  async loadMore(): Promise<void> {
    if (this.loading || this.#nextCursor === null) return;
    await this.#load(this.#seq, this.#nextCursor, PAGE_SIZE, true);
  }

  /** The grid shows rows up to `end`: pages are read in order (cursor paging) until they are loaded. */
  ensure(_start: number, end: number): void {
    this.#wanted = end;
    void this.#fill();
  }

  async #fill(): Promise<void> {
    const seq = this.#seq;
    while (seq === this.#seq && !this.loading && this.hasMore && this.items.length < this.#wanted)
      await this.loadMore();
  }

  /**
   * Re-reads what is on screen after the dataset changed (an import adds rows). Beyond the contract's page cap
   * only the total is refreshed: re-reading thousands of rows per event would cost more than it shows.
   */
  async refresh(): Promise<void> {
    if (this.datasetId === null) return;
    if (this.loading) {
      this.#refreshAgain = true;
      return;
    }
    const limit = Math.max(this.items.length, PAGE_SIZE);
    if (limit > MAX_LIMIT) {
      await this.#load(this.#seq, undefined, 1, false, true);
      return;
    }
    await this.#load(this.#seq, undefined, limit, false);
  }

  /** Moves the focus over every matching file; the grid's range loads the pages it reaches. */
  moveFocus(delta: number): void {
    if (this.total === 0) return;
    this.focused = Math.min(this.total - 1, Math.max(0, this.focused + delta));
  }

  setFocus(index: number): void {
    if (index >= 0 && index < this.total) this.focused = index;
  }

  async #load(seq: number, cursor: number | undefined, limit: number, append: boolean, totalOnly = false) {
    const datasetId = this.datasetId;
    if (datasetId === null) return;
    const status: ImageStatus | undefined = this.filter === 'error' ? 'error' : undefined;
    this.loading = true;
    try {
      const page = await this.#api.call('images.list', { datasetId, status, cursor, limit });
      if (seq !== this.#seq) return; // the user moved to another dataset or filter meanwhile
      this.total = page.total;
      if (totalOnly) return;
      this.items = append ? [...this.items, ...page.items] : page.items;
      this.#nextCursor = page.nextCursor;
      this.focused = Math.min(this.focused, Math.max(0, page.total - 1));
    } catch (err) {
      if (seq === this.#seq) this.#notices.report(err);
      this.#wanted = 0; // no retry loop: the next scroll asks again
    } finally {
      if (seq === this.#seq) {
        this.loading = false;
        this.ready = true;
        if (this.#refreshAgain) {
          this.#refreshAgain = false;
          void this.refresh();
        } else void this.#fill();
      }
    }
  }
}
