// The app's one state model: the route (URL hash) decides the screen and dataset; every screen's state hangs here,
// and one key handler dispatches the keymap of the screen on show.
import { tick } from 'svelte';
import type { AnnotationFormat, ApiClient, AppSettings, ConnectionState, Events } from '@shared/api';
import { AppError } from '@shared/errors';
import { bindingFor, isTyping, type Action, type KeyScope } from '../keymap';
import { throttle } from '../throttle';
import { DatasetsState } from './datasets.svelte';
import { ExportState } from './export.svelte';
import { FaceGalleryState, type GalleryFace } from './faces.svelte';
import { ImageGalleryState } from './images.svelte';
import { JobsState } from './jobs.svelte';
import { LearningState } from './learning.svelte';
import { LibraryState, type Release } from './library.svelte';
import { Notices } from './notices.svelte';
import { ReviewScreenState } from './review-screen.svelte';
import {
  Router,
  cleanQuery,
  type FaceFilterQuery,
  type ImageFilter,
  type Route,
  type Screen,
} from './route.svelte';
import { RulesEditorState } from './rules.svelte';
import { StatsState } from './stats.svelte';
import { MllmState } from './mllm.svelte';
import { TeamState } from './team.svelte';

/** What the key handler needs from the grid on show (its layout decides what "one row" is). */
export interface GridHandle {
  columns(): number;
  reveal(index: number): void;
}

/** Screens that show one dataset: a route without one gets the first dataset. */
const PER_DATASET: readonly Screen[] = ['images', 'faces', 'stats', 'identities', 'rules', 'export'];

export class AppState {
  readonly notices = new Notices();
  readonly router = new Router();
  readonly datasets: DatasetsState;
  readonly jobs: JobsState;
  readonly library: LibraryState;
  readonly images: ImageGalleryState;
  readonly faces: FaceGalleryState;
  readonly review: ReviewScreenState;
  readonly stats: StatsState;
  readonly mllm: MllmState;
  readonly rules: RulesEditorState;
  readonly exporter: ExportState;
  readonly learning: LearningState;
  /** Team mode: who is calling, double review and agreement, taking a face over. */
  readonly team: TeamState;
  settings = $state.raw<AppSettings | null>(null);
  /** The desktop app's backend: its local database or a team server (`connection.get`). */
  connection = $state.raw<ConnectionState | null>(null);
  ep = $state.raw<{ active: string | null; reason: string | null; at: number | null } | null>(null);
  helpOpen = $state(false);
  previewOpen = $state(false);
  /** The grid on show (images or faces) registers itself here for the grid keys. */
  grid: GridHandle | null = null;
  #api: ApiClient;
  #jobsFor: number | null | undefined = undefined;
  // Events come in bursts (an import sends one per image): refetch at most twice a second.
  #refreshDatasets = throttle(() => void this.datasets.refresh(), 500);
  #refreshImages = throttle(() => void this.images.refresh(), 500);
  #refreshLibrary = throttle(() => void this.library.refresh(), 500);
  #refreshFaces = throttle(() => void this.faces.refresh(), 1000);
  /** Faces other clients changed, gathered over a short burst (null: many) and reloaded in place at once. */
  #changedFaces: number[] | null = [];
  #flushChanged = throttle(() => {
    const ids = this.#changedFaces;
    this.#changedFaces = [];
    this.faces.changed(ids);
  }, 200);
  #liveFaces(ids: number[] | null): void {
    this.#changedFaces = ids === null || this.#changedFaces === null ? null : [...this.#changedFaces, ...ids];
    this.#flushChanged();
  }

  constructor(api: ApiClient) {
    this.#api = api;
    this.datasets = new DatasetsState(api, this.notices);
    this.jobs = new JobsState(api, this.notices);
    this.library = new LibraryState(api, this.notices);
    this.images = new ImageGalleryState(api, this.notices);
    this.faces = new FaceGalleryState(api, this.notices);
    this.stats = new StatsState(api, this.notices);
    this.mllm = new MllmState(api, this.notices);
    this.rules = new RulesEditorState(api, this.notices);
    this.exporter = new ExportState(api, this.notices);
    this.learning = new LearningState(api, this.notices);
    this.team = new TeamState(api, this.notices);
    this.review = new ReviewScreenState(api, {
      open: (faceId) => this.router.go({ ...this.route, faceId }),
      close: () => this.show('faces', this.review.datasetId ?? this.selectedId),
      confirmErrors: () => this.settings?.confirmReviewedWithErrors ?? true,
      report: (err) => this.notices.report(err),
    });
  }

  get route(): Route {
    return this.router.route;
  }

  get screen(): Screen {
    return this.route.screen;
  }

  get selectedId(): number | null {
    return this.route.datasetId;
  }

  get dataset() {
    return this.datasets.byId(this.selectedId);
  }

  /** Loads host info, datasets and settings; a per-dataset route without a known dataset gets the first one. */
  async start(): Promise<void> {
    void this.loadSettings();
    void this.team.loadMe();
    await this.datasets.init();
    const r = this.route;
    const first = this.datasets.items[0]?.id ?? null;
    const needs = PER_DATASET.includes(r.screen) || r.screen === 'library';
    if (needs && !this.datasets.byId(r.datasetId) && first !== null)
      this.router.go({ ...r, datasetId: first }, true);
  }

  /** Loads what the route shows; called by the one route effect. */
  showRoute(r: Route): void {
    const id = r.datasetId;
    if (id !== this.#jobsFor) {
      this.#jobsFor = id;
      void this.jobs.show(id);
    }
    this.previewOpen = false;
    if (r.screen === 'images') void this.images.show(id, r.status);
    if (r.screen === 'faces') void this.#showFaces(id, r);
    if (r.screen === 'stats')
      void Promise.all([this.stats.load(id), this.learning.load(id), this.mllm.load(id), this.team.load(id)]);
    if (r.screen === 'identities') void this.learning.loadIdentities(id);
    if (r.screen === 'rules') void this.rules.load(id);
    if (r.screen === 'export') void this.mllm.load(id);
    if (r.screen === 'settings') void Promise.all([this.loadSettings(), this.mllm.load(this.selectedId)]);
    // The cards' counters change without an event here too (a command run in a terminal): read them on show.
    if (r.screen === 'library') void this.library.refresh();
    if (r.screen === 'review' && r.faceId) this.review.open(r.faceId, id, r.query);
  }

  /**
   * The gallery; a URL without a sort gets "Likely wrong labels" when a training run stored label-issue scores
   * for the dataset's labels (`learning.noise`), else the id order. A sort in the URL is kept.
   */
  async #showFaces(id: number | null, r: Route): Promise<void> {
    if (id !== null && r.query.sort === undefined) {
      let wrongFirst = false;
      try {
        const noise = await this.#api.call('learning.noise', { datasetId: id });
        wrongFirst = noise.runId !== null && noise.keys.some((k) => k.labels > 0);
      } catch (err) {
        this.notices.report(err);
      }
      if (this.route !== r) return; // the route moved on meanwhile: its own show serves it
      if (wrongFirst) return this.router.go({ ...r, query: { ...r.query, sort: 'wrong' } }, true);
    }
    await this.faces.show(id, r.query);
  }

  /** Hash changes and the events; events carry ids and counters, what they touch is refetched. */
  connect(): () => void {
    const offHash = this.router.connect();
    const offs = [
      this.#api.on('jobs.progressed', (p: Events['jobs.progressed']) => {
        this.jobs.progressed(p);
        this.library.progressed(p);
        this.rules.progressed(p);
        this.exporter.progressed(p);
        this.learning.progressed(p);
        this.mllm.progressed(p);
        this.#refreshDatasets();
        this.#refreshLibrary();
        // A job's end: its counts are final now, read them at once (a throttled read may predate the commit).
        if (p.state === 'done' || p.state === 'failed' || p.state === 'cancelled')
          void this.library.refresh();
        if (this.screen === 'images' && this.jobs.current?.id === p.jobId) this.#refreshImages();
        if (['analyze', 'reevaluate-rules', 'annotations', 'train'].includes(p.kind)) this.#refreshFaces();
      }),
      // Another reviewer's edit (or this one's, echoed): the gallery's tiles and the face on review update in place.
      this.#api.on('faces.changed', (p) => {
        if (this.screen === 'faces' && p.datasetId === this.faces.datasetId) this.#liveFaces(p.faceIds);
        if (this.screen === 'review') this.review.changed(p);
      }),
      this.#api.on('datasets.updated', (p) => {
        this.#refreshDatasets();
        this.#refreshLibrary();
        if (this.screen === 'images' && p.datasetId === this.selectedId) this.#refreshImages();
      }),
    ];
    void this.library.refresh();
    return () => {
      offHash();
      offs.forEach((off) => off());
      for (const t of [
        this.#refreshDatasets,
        this.#refreshImages,
        this.#refreshLibrary,
        this.#refreshFaces,
        this.#flushChanged,
      ])
        t.cancel();
    };
  }

  show(screen: Screen, datasetId = this.selectedId): void {
    const keep = screen === 'faces' ? this.route.query : {};
    this.router.go({ screen, datasetId, query: keep });
  }

  /** The sidebar's choice: the library moves on to its faces, other screens show the new dataset. */
  select(id: number): void {
    const r = this.route;
    if (r.screen === 'library' || r.screen === 'review') this.show('faces', id);
    else this.router.go({ screen: r.screen, datasetId: id });
  }

  setQuery(query: FaceFilterQuery): void {
    this.router.go({ ...this.route, query: cleanQuery(query) }, true);
  }

  setImageFilter(status: ImageFilter): void {
    this.router.go({ ...this.route, status }, true);
  }

  /** A heatmap cell: the faces that have both attributes, in the gallery. */
  showPair(a: string, b: string): void {
    const source = this.stats.source;
    this.router.go({
      screen: 'faces',
      datasetId: this.selectedId,
      query: { pair: { keys: [a, b], source } },
    });
  }

  openFace(face: GalleryFace): void {
    const r = this.route;
    this.router.go({ screen: 'review', datasetId: r.datasetId, query: r.query, faceId: face.id });
  }

  /** A face from another screen (identities): Review walks the dataset's whole gallery order. */
  openFaceId(faceId: number): void {
    this.router.go({ screen: 'review', datasetId: this.route.datasetId, query: {}, faceId });
  }

  /**
   * Opens a folder as a dataset and shows it: from the sidebar on the library, its images while they are indexed;
   * from the library's own form, the library; elsewhere, the screen on show with the new dataset.
   */
  /** Opens (adds or re-selects) a folder as a dataset; returns its id, or null when it failed (reported). */
  async open(root: string, from: 'sidebar' | 'library' = 'sidebar'): Promise<number | null> {
    const created = await this.datasets.open(root);
    if (!created) return null;
    this.jobs.track(created.job);
    const id = created.dataset.id;
    this.#jobsFor = id;
    // A folder that holds a known release file: offer to import its labels.
    void this.library.findReleases(id);
    const r = this.route;
    let screen: Screen = r.screen === 'review' ? 'faces' : r.screen;
    if (r.screen === 'library') screen = from === 'library' ? 'library' : 'images';
    // Re-opening the dataset on screen changes no route, so nothing else would reload it.
    if (screen === r.screen && r.datasetId === id && screen === 'images') void this.images.refresh();
    else this.router.go({ screen, datasetId: id });
    return id;
  }

  /**
   * The library's "Import dataset…": opens the images folder, then imports its labels from `annotations`, or
   * from the release files found beside it (UTKFace: the file names).
   */
  async importDataset(root: string, format: AnnotationFormat, annotations: string): Promise<void> {
    const id = await this.open(root, 'library');
    if (id === null) return;
    if (annotations.trim() || format === 'utkface') {
      this.library.dismissOffer(id);
      await this.library.importAnnotations(id, format, annotations);
      return;
    }
    const found = (await this.library.findReleases(id)).find((r) => r.format === format);
    if (found) await this.importRelease(id, found);
    else
      this.notices.report(
        new AppError('invalid_request', `${format}: no release file found in or beside ${root}`, {
          where: { field: 'annotations' },
          hint: 'give the annotations file or folder',
        }),
      );
  }

  /** The offer's Import: queues the import and shows the library, where the job and its summary appear. */
  async importRelease(datasetId: number, r: Release): Promise<void> {
    this.library.dismissOffer(datasetId);
    if (await this.library.importAnnotations(datasetId, r.format, r.source))
      this.router.go({ screen: 'library', datasetId });
  }

  async pick(): Promise<void> {
    const path = await this.datasets.pickFolder();
    if (path) await this.open(path);
  }

  openSamples(): void {
    const dir = this.datasets.info?.samplesDir;
    if (dir) void this.open(dir, 'library');
  }

  async rescan(): Promise<void> {
    if (this.selectedId === null) return;
    const job = await this.datasets.rescan(this.selectedId);
    if (job) this.jobs.track(job);
  }

  cycleDataset(delta: number): void {
    const items = this.datasets.items;
    if (items.length === 0) return;
    const at = items.findIndex((d) => d.id === this.selectedId);
    const next = items[(at + delta + items.length) % items.length];
    if (next) this.router.go({ ...this.route, datasetId: next.id, status: 'all' });
  }

  async loadSettings(): Promise<void> {
    try {
      const [{ settings, ep }, connection] = await Promise.all([
        this.#api.call('settings.get', {}),
        this.#api.call('connection.get', {}),
      ]);
      this.settings = settings;
      this.ep = ep;
      this.connection = connection;
    } catch (err) {
      this.notices.report(err);
    }
  }

  async saveSettings(change: Partial<AppSettings>): Promise<void> {
    try {
      this.settings = (await this.#api.call('settings.set', change)).settings;
    } catch (err) {
      this.notices.report(err);
    }
  }

  saveView(name: string): void {
    const views = (this.settings?.views ?? []).filter((v) => v.name !== name);
    void this.saveSettings({ views: [...views, { name, query: this.route.query }] });
  }

  /** The keymap scope of the screen on show. */
  get scope(): KeyScope {
    const s = this.screen;
    return s === 'images' || s === 'faces' || s === 'review' ? s : 'global';
  }

  /** The one key handler: keys that mean nothing here are left to the browser. */
  onKey(e: KeyboardEvent): void {
    const b = bindingFor(e, this.scope);
    if (b && this.run(b.action, e)) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  run(action: Action, e: KeyboardEvent): boolean {
    if (action === 'help') return ((this.helpOpen = !this.helpOpen), true);
    if (action === 'close') return this.#close(e.target);
    if (this.helpOpen) return false;
    if (this.screen === 'review') return this.review.run(action, e.key);
    if (this.screen === 'faces') return this.#facesKey(action);
    if (this.screen === 'images') return this.#imagesKey(action);
    return false;
  }

  /** Escape closes the innermost thing: sheet, preview, picker, the field typed in, the screen's own, a message. */
  #close(target: EventTarget | null): boolean {
    if (this.helpOpen) this.helpOpen = false;
    else if (this.previewOpen) this.previewOpen = false;
    else if (isTyping(target)) (target as HTMLElement).blur();
    else if (this.screen === 'review') this.review.run('close', 'Escape');
    else if (this.screen === 'faces' && this.faces.selected.size > 0) this.faces.clearSelection();
    else return this.notices.dismissLatest();
    return true;
  }

  /** A grid move: the state's focus moves, the grid scrolls there and takes DOM focus. */
  #move(action: Action, focused: number, total: number, set: (i: number) => void): boolean {
    const cols = this.grid?.columns() ?? 1;
    const moves: Partial<Record<Action, number>> = {
      'focus-left': -1,
      'focus-right': 1,
      'focus-up': -cols,
      'focus-down': cols,
      'focus-first': -focused,
      'focus-last': total - 1 - focused,
    };
    const d = moves[action];
    if (d === undefined) return false;
    if (total === 0) return true;
    set(Math.max(0, Math.min(total - 1, focused + d)));
    void tick().then(() => {
      if (!this.previewOpen)
        this.grid?.reveal(this.screen === 'faces' ? this.faces.focused : this.images.focused);
    });
    return true;
  }

  #facesKey(action: Action): boolean {
    const g = this.faces;
    if (this.#move(action, g.focused, g.total, (i) => (g.focused = i))) return true;
    if (action === 'open') {
      const face = g.items[g.focused];
      if (face) this.openFace(face);
    } else if (action === 'select') {
      if (g.focusedFace) g.toggle(g.focusedFace.id);
    } else if (action === 'search') document.querySelector<HTMLElement>('[data-testid=face-search]')?.focus();
    else return false;
    return true;
  }

  /** Moves the focused image (the preview's arrows too); pages up to it load. */
  stepImage(delta: number): void {
    this.#imagesKey(delta < 0 ? 'focus-left' : 'focus-right');
  }

  #imagesKey(action: Action): boolean {
    const g = this.images;
    const set = (i: number) => {
      g.setFocus(i);
      g.ensure(0, i + 1);
    };
    if (this.#move(action, g.focused, g.total, set)) return true;
    if (action === 'open') this.previewOpen = g.focusedImage !== null;
    else if (action === 'filter-all') this.setImageFilter('all');
    else if (action === 'filter-errors') this.setImageFilter('error');
    else if (action === 'prev-dataset') this.cycleDataset(-1);
    else if (action === 'next-dataset') this.cycleDataset(1);
    else if (action === 'open-folder') document.getElementById('folder-path')?.focus();
    else if (action === 'rescan') void this.rescan();
    else return false;
    return true;
  }
}
