// The library: per-dataset counters and recent jobs with live rate / ETA from `jobs.progressed` events.
import type { AnnotationFormat, ApiClient, DatasetStats, Events, Job, JobReport, Res } from '@shared/api';
import type { Notices } from './notices.svelte';
import { withProgress } from './jobs.svelte';

export interface LiveJob extends Job {
  rate: number | null;
  etaSeconds: number | null;
}

export type Release = Res<'datasets.releases'>['items'][number];

export class LibraryState {
  stats = $state.raw<Record<number, DatasetStats>>({});
  jobs = $state.raw<LiveJob[]>([]);
  /** Release files found beside a dataset just opened: the import the app offers (until done or dismissed). */
  offers = $state.raw<Record<number, Release[]>>({});
  /** Reports of finished jobs, read when asked (an import's warnings with their lines). */
  reports = $state.raw<Record<number, JobReport | null>>({});
  #api: ApiClient;
  #notices: Notices;
  #seq = 0;

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
  }

  async refresh(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const [stats, jobs] = await Promise.all([
        this.#api.call('datasets.stats', {}),
        this.#api.call('jobs.list', { limit: 12 }),
      ]);
      if (seq !== this.#seq) return;
      this.stats = Object.fromEntries(stats.items.map((s) => [s.datasetId, s]));
      const live: Record<number, LiveJob> = Object.fromEntries(this.jobs.map((j) => [j.id, j]));
      this.jobs = jobs.items.map((j) => ({
        ...j,
        rate: live[j.id]?.rate ?? null,
        etaSeconds: live[j.id]?.etaSeconds ?? null,
      }));
    } catch (err) {
      if (seq === this.#seq) this.#notices.report(err);
    }
  }

  /** Applies an event's counters to a listed job; the caller refetches (throttled) for new jobs. */
  progressed(p: Events['jobs.progressed']): void {
    this.jobs = this.jobs.map((j) =>
      j.id === p.jobId ? { ...withProgress(j, p), rate: p.rate, etaSeconds: p.etaSeconds } : j,
    );
  }

  async #run(fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      await this.refresh();
      return true;
    } catch (err) {
      this.#notices.report(err);
      return false;
    }
  }

  /** Looks for release files beside the dataset; any found become an offer to import. */
  async findReleases(datasetId: number): Promise<Release[]> {
    try {
      const { items } = await this.#api.call('datasets.releases', { datasetId });
      this.offers = { ...this.offers, [datasetId]: items };
      return items;
    } catch (err) {
      this.#notices.report(err);
      return [];
    }
  }

  dismissOffer(datasetId: number): void {
    this.offers = { ...this.offers, [datasetId]: [] };
  }

  async loadReport(jobId: number): Promise<void> {
    try {
      const { report } = await this.#api.call('jobs.report', { id: jobId });
      this.reports = { ...this.reports, [jobId]: report };
    } catch (err) {
      this.#notices.report(err);
    }
  }

  analyze(datasetId: number): Promise<boolean> {
    return this.#run(() => this.#api.call('datasets.analyze', { datasetId }));
  }

  importAnnotations(datasetId: number, format: AnnotationFormat, annotations: string): Promise<boolean> {
    const path = annotations.trim();
    return this.#run(() =>
      this.#api.call('datasets.importAnnotations', {
        datasetId,
        format,
        ...(path ? { annotations: path } : {}),
      }),
    );
  }

  control(id: number, action: 'pause' | 'resume' | 'cancel'): Promise<boolean> {
    const method = action === 'pause' ? 'jobs.pause' : action === 'resume' ? 'jobs.resume' : 'jobs.cancel';
    return this.#run(() => this.#api.call(method, { id }));
  }
}
