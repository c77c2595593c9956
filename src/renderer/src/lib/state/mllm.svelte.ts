// Vision-LLM audits of a dataset (issue #31): the saved endpoints, the audit job (followed through the shared
// jobs state) and the report; reread when the job ends.
import type { ApiClient, Events, MllmEndpoint, MllmEndpointInfo, MllmReport, MllmTask } from '@shared/api';
import { MLLM_TASKS } from '@shared/api';
import { AppError } from '@shared/errors';
import { JobsState, isActive } from './jobs.svelte';
import type { Notices } from './notices.svelte';

/** What a new endpoint starts with (Ollama on this machine). */
export const NEW_ENDPOINT: MllmEndpoint = {
  id: 'local',
  baseUrl: 'http://127.0.0.1:11434/v1',
  model: '',
  timeoutMs: 60_000,
  concurrency: 2,
  rpm: 0,
  imageSize: 448,
  structured: false,
};

export class MllmState {
  datasetId = $state<number | null>(null);
  endpoints = $state.raw<MllmEndpointInfo[]>([]);
  report = $state.raw<MllmReport | null>(null);
  /** The audit form: which endpoint, tasks and faces. */
  endpointId = $state<string | null>(null);
  tasks = $state.raw<MllmTask[]>([...MLLM_TASKS]);
  scope = $state<'reviewed' | 'all'>('reviewed');
  /** Field → message of the last endpoint save that was refused. */
  endpointErrors = $state.raw<Record<string, string>>({});
  readonly job: JobsState;
  #api: ApiClient;
  #notices: Notices;
  #seq = 0;

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
    this.job = new JobsState(api, notices);
  }

  /** The endpoints, and for a dataset its report and latest audit job. */
  async load(datasetId: number | null): Promise<void> {
    const seq = ++this.#seq;
    if (datasetId !== this.datasetId) this.report = null;
    this.datasetId = datasetId;
    try {
      const [endpoints, report, jobs] = await Promise.all([
        this.#api.call('mllm.endpoints', {}),
        datasetId === null ? null : this.#api.call('mllm.report', { datasetId }),
        datasetId === null ? null : this.#api.call('jobs.list', { datasetId, limit: 50 }),
      ]);
      if (seq !== this.#seq) return;
      this.endpoints = endpoints.items;
      if (!this.endpoints.some((e) => e.id === this.endpointId))
        this.endpointId = this.endpoints[0]?.id ?? null;
      this.report = report;
      const audit = jobs?.items.find((j) => j.kind === 'mllm-audit');
      if (audit && this.job.current?.id !== audit.id) this.job.current = audit;
    } catch (err) {
      if (seq === this.#seq) this.#notices.report(err);
    }
  }

  async run(): Promise<void> {
    const datasetId = this.datasetId;
    if (datasetId === null || this.endpointId === null || isActive(this.job.current)) return;
    try {
      const job = await this.#api.call('mllm.audit', {
        datasetId,
        endpointId: this.endpointId,
        tasks: this.tasks,
        scope: this.scope,
      });
      this.job.track(job);
    } catch (err) {
      this.#notices.report(err);
    }
  }

  /** Pauses, resumes or cancels the audit on show. */
  async control(action: 'pause' | 'resume' | 'cancel'): Promise<void> {
    const job = this.job.current;
    if (!job) return;
    const method = action === 'pause' ? 'jobs.pause' : action === 'resume' ? 'jobs.resume' : 'jobs.cancel';
    try {
      const updated = await this.#api.call(method, { id: job.id });
      if (this.job.current?.id === updated.id) this.job.current = updated;
    } catch (err) {
      this.#notices.report(err);
    }
  }

  progressed(p: Events['jobs.progressed']): void {
    if (p.kind !== 'mllm-audit') return;
    const known = this.job.current?.id === p.jobId;
    this.job.progressed(p);
    if (known && !isActive(this.job.current)) void this.load(this.datasetId);
  }

  /** Saves an endpoint; `apiKey`: a new key, null to delete it, undefined to keep it. Resolves true when saved. */
  async saveEndpoint(endpoint: MllmEndpoint, apiKey: string | null | undefined): Promise<boolean> {
    try {
      const r = await this.#api.call('mllm.saveEndpoint', {
        endpoint,
        ...(apiKey !== undefined ? { apiKey } : {}),
      });
      this.endpoints = r.items;
      this.endpointErrors = {};
      this.endpointId ??= endpoint.id;
      return true;
    } catch (err) {
      const e = AppError.from(err);
      if (e.code !== 'invalid_request') this.#notices.report(err);
      const field = e.where?.field?.replace(/^endpoint\./, '') ?? 'form';
      this.endpointErrors = { [field]: e.message };
      return false;
    }
  }

  async deleteEndpoint(id: string): Promise<void> {
    try {
      this.endpoints = (await this.#api.call('mllm.deleteEndpoint', { id })).items;
      if (this.endpointId === id) this.endpointId = this.endpoints[0]?.id ?? null;
    } catch (err) {
      this.#notices.report(err);
    }
  }
}
