// The latest job of the selected dataset, kept current from `jobs.progressed` events.
import type { ApiClient, Events, Job } from '@shared/api';
import type { Notices } from './notices.svelte';

/** A job with an event's counters, state and summary applied (the summary travels with the event, so a job that
 * just ended never shows its old counters while it is read again). */
export const withProgress = <J extends Job>(job: J, p: Events['jobs.progressed']): J => {
  const { state, done, total, failed, summary } = p;
  return { ...job, state, done, total, failed, summary };
};

export const isActive = (job: Job | null): boolean => job?.state === 'queued' || job?.state === 'running';

export class JobsState {
  current = $state.raw<Job | null>(null);
  #api: ApiClient;
  #notices: Notices;
  #seq = 0;

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
  }

  /** Shows the newest job of `datasetId` (none for null). */
  async show(datasetId: number | null): Promise<void> {
    const seq = ++this.#seq;
    if (datasetId === null) {
      this.current = null;
      return;
    }
    try {
      const { items } = await this.#api.call('jobs.list', { datasetId, limit: 1 });
      if (seq === this.#seq) this.current = items[0] ?? null;
    } catch (err) {
      this.#notices.report(err);
    }
  }

  /**
   * A job the user just started becomes the one shown, whatever load was in flight; it is read again at once
   * because a short job may have sent its last event before we knew its id.
   */
  track(job: Job): void {
    ++this.#seq;
    this.current = job;
    void this.#reload(job.id);
  }

  /** Applies an event's counters; a job that just ended is refetched for its summary and error. */
  progressed(p: Events['jobs.progressed']): void {
    const job = this.current;
    if (!job || job.id !== p.jobId) return;
    this.current = withProgress(job, p);
    if (!isActive(this.current)) void this.#reload(job.id);
  }

  async cancel(): Promise<void> {
    const job = this.current;
    if (!job || !isActive(job)) return;
    try {
      const updated = await this.#api.call('jobs.cancel', { id: job.id });
      if (this.current?.id === updated.id) this.current = updated;
    } catch (err) {
      this.#notices.report(err);
    }
  }

  async #reload(id: number): Promise<void> {
    const seq = this.#seq;
    try {
      const job = await this.#api.call('jobs.get', { id });
      if (seq === this.#seq && this.current?.id === id) this.current = job;
    } catch (err) {
      this.#notices.report(err);
    }
  }
}
