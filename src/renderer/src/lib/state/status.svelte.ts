// The status bar's data: the execution provider in use (per model where it differs) and how many jobs are running.
import type { ApiClient, ExecutionProviderRequest, EpStatus } from '@shared/api';
import { isActive } from './jobs.svelte';

/** Job events come in bursts (one per image): one reload after the burst is enough. */
const RELOAD_DELAY_MS = 500;

export class StatusState {
  ep = $state.raw<EpStatus | null>(null);
  requested = $state.raw<ExecutionProviderRequest | null>(null);
  running = $state(0);
  error = $state.raw<string | null>(null);
  #api: ApiClient;
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(api: ApiClient) {
    this.#api = api;
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const [settings, jobs] = await Promise.all([
        this.#api.call('settings.get', {}),
        this.#api.call('jobs.list', { limit: 100 }),
      ]);
      if (seq !== this.#seq) return; // a newer load won
      this.ep = settings.ep;
      this.requested = settings.settings.ep;
      this.running = jobs.items.filter(isActive).length;
      this.error = null;
    } catch (err) {
      if (seq === this.#seq) this.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** Reloads after job progress (a job's first run decides the provider); returns the unsubscribe. */
  connect(): () => void {
    const off = this.#api.on('jobs.progressed', () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.load(), RELOAD_DELAY_MS);
    });
    return () => {
      off();
      clearTimeout(this.#timer);
    };
  }
}
