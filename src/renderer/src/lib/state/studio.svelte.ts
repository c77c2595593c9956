// The app's composed state: which dataset and filter are shown, the open overlays, user intents and the key map.
import { tick } from 'svelte';
import type { ApiClient } from '@shared/api';
import { actionFor, isTyping, type Action } from '../keymap';
import { throttle } from '../throttle';
import { DatasetsState } from './datasets.svelte';
import { GalleryState, type GalleryFilter } from './gallery.svelte';
import { JobsState } from './jobs.svelte';
import { Notices } from './notices.svelte';
import { formatView, type View } from './view';

/** What the key handler needs from the rendered grid (its layout decides what "one row" is). */
export interface GridHandle {
  columns(): number;
  focusTile(): void;
}

export class Studio {
  readonly notices = new Notices();
  readonly datasets: DatasetsState;
  readonly gallery: GalleryState;
  readonly jobs: JobsState;
  selectedId = $state<number | null>(null);
  filter = $state<GalleryFilter>('all');
  previewOpen = $state(false);
  helpOpen = $state(false);
  grid: GridHandle | null = null;
  #api: ApiClient;
  // Events come in bursts (an import sends one per image): refetch at most twice a second.
  #refreshDatasets = throttle(() => void this.datasets.refresh(), 500);
  #refreshGallery = throttle(() => void this.gallery.refresh(), 500);

  constructor(api: ApiClient, view: View) {
    this.#api = api;
    this.datasets = new DatasetsState(api, this.notices);
    this.gallery = new GalleryState(api, this.notices);
    this.jobs = new JobsState(api, this.notices);
    this.selectedId = view.datasetId;
    this.filter = view.filter;
  }

  get dataset() {
    return this.datasets.byId(this.selectedId);
  }

  /** Loads host info and datasets; shows the first dataset when the URL named none (or a gone one). */
  async start(): Promise<void> {
    await this.datasets.init();
    if (!this.datasets.byId(this.selectedId)) this.selectedId = this.datasets.items[0]?.id ?? null;
  }

  /** Loads the current view and records it in the URL hash (the token stays in the query). */
  showView(): void {
    const view: View = { datasetId: this.selectedId, filter: this.filter };
    this.previewOpen = false;
    void this.gallery.show(view.datasetId, view.filter);
    const { pathname, search, hash } = window.location;
    // Other screens (`#/faces?…`) own the hash; the image gallery's form is only written while it shows.
    if (hash.startsWith('#/') && !hash.startsWith('#/images')) return;
    history.replaceState(history.state, '', pathname + search + formatView(view));
  }

  /** Subscribes to the events; events carry ids and counters, what they touch is refetched. */
  connect(): () => void {
    const offs = [
      this.#api.on('jobs.progressed', (p) => {
        this.jobs.progressed(p);
        this.#refreshDatasets();
        if (this.jobs.current?.id === p.jobId) this.#refreshGallery();
      }),
      this.#api.on('datasets.updated', (p) => {
        this.#refreshDatasets();
        if (p.datasetId === this.selectedId) this.#refreshGallery();
      }),
    ];
    return () => {
      offs.forEach((off) => off());
      this.#refreshDatasets.cancel();
      this.#refreshGallery.cancel();
    };
  }

  async open(root: string): Promise<void> {
    const created = await this.datasets.open(root);
    if (!created) return;
    this.jobs.track(created.job);
    // Re-opening the dataset on screen changes no view, so nothing else would reload it.
    if (this.selectedId === created.dataset.id && this.filter === 'all') void this.gallery.refresh();
    this.selectedId = created.dataset.id;
    this.filter = 'all';
  }

  async pick(): Promise<void> {
    const path = await this.datasets.pickFolder();
    if (path) await this.open(path);
  }

  openSamples(): void {
    const dir = this.datasets.info?.samplesDir;
    if (dir) void this.open(dir);
  }

  async rescan(): Promise<void> {
    if (this.selectedId === null) return;
    const job = await this.datasets.rescan(this.selectedId);
    if (job) this.jobs.track(job);
  }

  openImage(index: number): void {
    this.gallery.setFocus(index);
    this.previewOpen = true;
  }

  /** Moves the focused tile; DOM focus follows unless the preview shows the image instead. */
  async step(delta: number): Promise<void> {
    this.gallery.moveFocus(delta);
    if (this.previewOpen) return;
    await tick();
    this.grid?.focusTile();
  }

  cycleDataset(delta: number): void {
    const items = this.datasets.items;
    if (items.length === 0) return;
    const at = items.findIndex((d) => d.id === this.selectedId);
    this.selectedId = items[(at + delta + items.length) % items.length]?.id ?? null;
  }

  /** The one key handler: keys that mean nothing here are left to the browser. */
  onKey(e: KeyboardEvent): void {
    const action = actionFor(e);
    if (action && this.run(action, e.target)) e.preventDefault();
  }

  run(action: Action, target: EventTarget | null): boolean {
    if (action === 'close') return this.#close(target);
    if (action === 'toggle-help') {
      this.helpOpen = !this.helpOpen;
      return true;
    }
    if (this.helpOpen) return false;
    const g = this.gallery;
    const cols = this.grid?.columns() ?? 1;
    const moves: Partial<Record<Action, number>> = {
      'focus-left': -1,
      'focus-right': 1,
      'focus-up': -cols,
      'focus-down': cols,
      'focus-first': -g.focused,
      'focus-last': g.items.length - 1 - g.focused,
    };
    const delta = moves[action];
    if (delta !== undefined) {
      if (g.items.length === 0) return false;
      void this.step(delta);
      return true;
    }
    if (action === 'open-preview') return (this.previewOpen = g.focusedImage !== null);
    if (action === 'filter-all') this.filter = 'all';
    else if (action === 'filter-errors') this.filter = 'error';
    else if (action === 'prev-dataset') this.cycleDataset(-1);
    else if (action === 'next-dataset') this.cycleDataset(1);
    else if (action === 'open-folder') document.getElementById('folder-path')?.focus();
    else if (action === 'rescan') void this.rescan();
    return true;
  }

  /** Escape closes the innermost thing: overlay, preview, the field being typed in, then a message. */
  #close(target: EventTarget | null): boolean {
    if (this.helpOpen) this.helpOpen = false;
    else if (this.previewOpen) this.previewOpen = false;
    else if (isTyping(target)) (target as HTMLElement).blur();
    else return this.notices.dismissLatest();
    return true;
  }
}
