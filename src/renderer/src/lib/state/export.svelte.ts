// The export dialog: starts one export job, follows its progress and reads its report when it ends.
import type { ApiClient, Events, ExportFormat, Job, JobReport } from '@shared/api';
import { withProgress } from './jobs.svelte';
import type { Notices } from './notices.svelte';

export interface ExportForm {
  format: ExportFormat;
  out: string;
  reviewedOnly: boolean;
  includePredictions: boolean;
  /** With includePredictions: `models`, or `mllm:<model>` (a vision LLM's audit answers). */
  predictionSource: string;
  overwrite: boolean;
}

export class ExportState {
  job = $state.raw<Job | null>(null);
  report = $state.raw<JobReport | null>(null);
  #api: ApiClient;
  #notices: Notices;

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
  }

  async start(datasetId: number, form: ExportForm): Promise<void> {
    this.report = null;
    try {
      const job = await this.#api.call('exports.start', { datasetId, ...form, out: form.out.trim() });
      this.job = job;
      // A quick export can end before its start call returns: its progress events then found no job here.
      // Read it once now; events from here on go through progressed().
      const now = await this.#api.call('jobs.get', { id: job.id });
      if (this.job?.id !== job.id) return;
      const open = (j: Job) => j.state === 'queued' || j.state === 'running';
      if (!open(now)) await this.#finish(job.id);
      else if (open(this.job)) this.job = now; // an event may have moved it on meanwhile: never move it back
    } catch (err) {
      this.#notices.report(err);
    }
  }

  progressed(p: Events['jobs.progressed']): void {
    const job = this.job;
    if (!job || job.id !== p.jobId) return;
    this.job = withProgress(job, p);
    if (p.state !== 'queued' && p.state !== 'running') void this.#finish(job.id);
  }

  async #finish(id: number): Promise<void> {
    try {
      const [job, { report }] = await Promise.all([
        this.#api.call('jobs.get', { id }),
        this.#api.call('jobs.report', { id }),
      ]);
      if (this.job?.id !== id) return;
      this.job = job;
      this.report = report;
    } catch (err) {
      this.#notices.report(err);
    }
  }
}
