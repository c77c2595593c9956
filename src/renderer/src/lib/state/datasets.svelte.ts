// Datasets and host info: the sidebar's list, opening folders, rescans.
import type { ApiClient, AppInfo, Dataset, Job } from '@shared/api';
import type { Notices } from './notices.svelte';

export class DatasetsState {
  items = $state.raw<Dataset[]>([]);
  info = $state.raw<AppInfo | null>(null);
  loaded = $state(false);
  /** True while a datasets.create is in flight, so Open cannot be pressed twice. */
  opening = $state(false);
  #api: ApiClient;
  #notices: Notices;
  #seq = 0;

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
  }

  async init(): Promise<void> {
    try {
      this.info = await this.#api.call('app.info', {});
    } catch (err) {
      this.#notices.report(err);
    }
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const { items } = await this.#api.call('datasets.list', {});
      if (seq === this.#seq) this.items = items; // a newer refresh won
    } catch (err) {
      this.#notices.report(err);
    } finally {
      if (seq === this.#seq) this.loaded = true;
    }
  }

  byId(id: number | null): Dataset | null {
    return this.items.find((d) => d.id === id) ?? null;
  }

  /** Creates (or finds) the dataset rooted at `root` and starts its import; null when it was refused. */
  async open(root: string): Promise<{ dataset: Dataset; job: Job } | null> {
    if (this.opening) return null;
    this.opening = true;
    try {
      const created = await this.#api.call('datasets.create', { root });
      await this.refresh();
      return created;
    } catch (err) {
      this.#notices.report(err);
      return null;
    } finally {
      this.opening = false;
    }
  }

  /** Native folder picker (Electron only); null when cancelled or refused. */
  async pickFolder(): Promise<string | null> {
    try {
      const { path } = await this.#api.call('system.pickFolder', { title: 'Open a folder of face images' });
      return path;
    } catch (err) {
      this.#notices.report(err);
      return null;
    }
  }

  async rescan(id: number): Promise<Job | null> {
    try {
      return await this.#api.call('datasets.rescan', { id });
    } catch (err) {
      this.#notices.report(err);
      return null;
    }
  }
}
