// The stats screen's data: co-occurrence (labels or predictions), agreement, confusion matrices, rule counts.
import type { ApiClient, Cooccurrence, Res, RuleCount } from '@shared/api';
import type { Notices } from './notices.svelte';

export class StatsState {
  source = $state<'labels' | 'predictions'>('labels');
  cooc = $state.raw<Cooccurrence | null>(null);
  agreement = $state.raw<Res<'stats.agreement'> | null>(null);
  rules = $state.raw<RuleCount[]>([]);
  #api: ApiClient;
  #notices: Notices;
  #seq = 0;

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
  }

  async load(datasetId: number | null): Promise<void> {
    const seq = ++this.#seq;
    if (datasetId === null) return;
    try {
      const [cooc, agreement, rules] = await Promise.all([
        this.#api.call('stats.cooccurrence', { datasetId, source: this.source }),
        this.#api.call('stats.agreement', { datasetId }),
        this.#api.call('violations.counts', { datasetId }),
      ]);
      if (seq !== this.#seq) return;
      this.cooc = cooc;
      this.agreement = agreement;
      this.rules = rules.items;
    } catch (err) {
      if (seq === this.#seq) this.#notices.report(err);
    }
  }
}
