// The screens beyond the image gallery: route, library, face gallery, settings; kept in step with the Studio.
import type { ApiClient, AppSettings, Events } from '@shared/api';
import { throttle } from '../throttle';
import { FaceGalleryState, type GalleryFace } from './faces.svelte';
import { LibraryState } from './library.svelte';
import { Router, cleanQuery, type FaceFilterQuery, type Screen } from './route.svelte';
import { StatsState } from './stats.svelte';
import { RulesEditorState } from './rules.svelte';
import { ExportState } from './export.svelte';
import { LearningState } from './learning.svelte';
import type { Studio } from './studio.svelte';

export class Workspace {
  readonly router = new Router();
  readonly library: LibraryState;
  readonly faces: FaceGalleryState;
  readonly stats: StatsState;
  readonly rules: RulesEditorState;
  readonly exporter: ExportState;
  readonly learning: LearningState;
  settings = $state.raw<AppSettings | null>(null);
  ep = $state.raw<{ active: string | null; reason: string | null; at: number | null } | null>(null);
  #api: ApiClient;
  #studio: Studio;
  #refreshLibrary = throttle(() => void this.library.refresh(), 500);
  #refreshFaces = throttle(() => void this.faces.refresh(), 1000);

  constructor(api: ApiClient, studio: Studio) {
    this.#api = api;
    this.#studio = studio;
    this.library = new LibraryState(api, studio.notices);
    this.faces = new FaceGalleryState(api, studio.notices);
    this.stats = new StatsState(api, studio.notices);
    this.rules = new RulesEditorState(api, studio.notices);
    this.exporter = new ExportState(api, studio.notices);
    this.learning = new LearningState(api, studio.notices);
  }

  get screen(): Screen {
    return this.router.route.screen;
  }

  /** Hash changes, job events and the theme; returns the cleanup. */
  connect(): () => void {
    const offHash = this.router.connect();
    const offJobs = this.#api.on('jobs.progressed', (p: Events['jobs.progressed']) => {
      this.library.progressed(p);
      this.rules.progressed(p);
      this.exporter.progressed(p);
      this.learning.progressed(p);
      this.#refreshLibrary();
      if (
        p.kind === 'analyze' ||
        p.kind === 'reevaluate-rules' ||
        p.kind === 'annotations' ||
        p.kind === 'train'
      )
        this.#refreshFaces();
    });
    void this.library.refresh();
    void this.loadSettings();
    return () => {
      offHash();
      offJobs();
      this.#refreshLibrary.cancel();
      this.#refreshFaces.cancel();
    };
  }

  /** The dataset the route names wins over the Studio's; the Studio's choice fills a route without one. */
  syncDataset(): void {
    const r = this.router.route;
    if (r.screen === 'images') return;
    const selected = this.#studio.selectedId;
    if (r.datasetId !== null && r.datasetId !== selected && this.#studio.datasets.byId(r.datasetId)) {
      this.#studio.selectedId = r.datasetId;
    } else if (r.datasetId !== selected && selected !== null) {
      this.router.go({ ...r, datasetId: selected }, true);
    }
  }

  show(screen: Screen, datasetId = this.#studio.selectedId): void {
    const keep = screen === 'faces' ? this.router.route.query : {};
    this.router.go({ screen, datasetId, query: keep });
  }

  setQuery(query: FaceFilterQuery): void {
    this.router.go({ ...this.router.route, query: cleanQuery(query) }, true);
  }

  /** A heatmap cell: the faces that have both attributes, in the gallery. */
  showPair(a: string, b: string): void {
    const source = this.stats.source;
    this.router.go({
      screen: 'faces',
      datasetId: this.#studio.selectedId,
      query: { pair: { keys: [a, b], source } },
    });
  }

  openFace(face: GalleryFace): void {
    const r = this.router.route;
    this.router.go({ screen: 'review', datasetId: r.datasetId, query: r.query, faceId: face.id });
  }

  /** A face from another screen (identities): Review walks the dataset's whole gallery order. */
  openFaceId(faceId: number): void {
    this.router.go({ screen: 'review', datasetId: this.router.route.datasetId, query: {}, faceId });
  }

  async loadSettings(): Promise<void> {
    try {
      const { settings, ep } = await this.#api.call('settings.get', {});
      this.settings = settings;
      this.ep = ep;
    } catch (err) {
      this.#studio.notices.report(err);
    }
  }

  async saveSettings(change: Partial<AppSettings>): Promise<void> {
    try {
      this.settings = (await this.#api.call('settings.set', change)).settings;
    } catch (err) {
      this.#studio.notices.report(err);
    }
  }

  saveView(name: string): void {
    const views = (this.settings?.views ?? []).filter((v) => v.name !== name);
    void this.saveSettings({ views: [...views, { name, query: this.router.route.query }] });
  }
}
