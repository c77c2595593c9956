// Learned heads and identities of a dataset: the report, the training job, the settings form, identity clusters.
import type {
  ApiClient,
  Events,
  IdentityReport,
  IdentityResult,
  LearningEmbedding,
  LearningReport,
  LearningSettings,
  KeyNoise,
} from '@shared/api';
import { AppError } from '@shared/errors';
import { JobsState, isActive } from './jobs.svelte';
import type { Notices } from './notices.svelte';

/** The settings form as typed: numbers stay text until saved, so a half-typed value is not thrown away. */
export interface LearningSettingsForm {
  retrainEvery: string;
  lambda: string;
  embeddingModel: LearningEmbedding;
  decode: boolean;
}

export const toForm = (s: LearningSettings): LearningSettingsForm => ({
  retrainEvery: s.retrainEvery === null ? '' : String(s.retrainEvery),
  lambda: String(s.lambda),
  embeddingModel: s.embeddingModel,
  decode: s.decode,
});

/** Text → number, or a message; the range checks are main's (its schema names the field). */
function numberField(text: string): number | string {
  const x = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(x) ? x : `expected a number, got "${text}"`;
}

export class LearningState {
  datasetId = $state<number | null>(null);
  report = $state.raw<LearningReport | null>(null);
  /** Estimated label noise per key of the latest training run (`learning.noise`); null while it loads. */
  noise = $state.raw<{ runId: string | null; keys: KeyNoise[] } | null>(null);
  identities = $state.raw<IdentityReport | null>(null);
  /** Identity thresholds asked for (null: main's defaults, shown from the report). */
  threshold = $state<number | null>(null);
  duplicateThreshold = $state<number | null>(null);
  identitiesLoading = $state(false);
  /** The stored report's state and time (main computes identities in an `identities` job). */
  identitiesState = $state<IdentityResult['state'] | null>(null);
  identitiesComputedAt = $state<number | null>(null);
  /** Field → message of the last settings save that was refused. */
  settingsErrors = $state.raw<Record<string, string>>({});
  settingsSaved = $state(false);
  /** The dataset's latest training job, followed through the shared jobs state. */
  readonly training: JobsState;
  #api: ApiClient;
  #notices: Notices;
  #seq = 0;
  #idSeq = 0;
  #identitiesOf: number | null = null;
  /** The `identities` job computing the report shown, followed through jobs.progressed. */
  #identitiesJob: number | null = null;

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
    this.training = new JobsState(api, notices);
  }

  /** The report and the latest training job of a dataset. */
  async load(datasetId: number | null): Promise<void> {
    const seq = ++this.#seq;
    if (datasetId !== this.datasetId) {
      this.report = null;
      this.noise = null;
      this.settingsErrors = {};
      this.settingsSaved = false;
    }
    this.datasetId = datasetId;
    if (datasetId === null) return;
    try {
      const [report, jobs, noise] = await Promise.all([
        this.#api.call('learning.report', { datasetId }),
        this.#api.call('jobs.list', { datasetId, limit: 50 }),
        this.#api.call('learning.noise', { datasetId }),
      ]);
      if (seq !== this.#seq) return;
      this.report = report;
      this.noise = noise;
      const job = jobs.items.find((j) => j.kind === 'train');
      if (job && job.id !== this.training.current?.id) this.training.track(job);
      else if (!job) this.training.current = null;
    } catch (err) {
      if (seq === this.#seq) this.#notices.report(err);
    }
  }

  async train(): Promise<void> {
    const datasetId = this.datasetId;
    if (datasetId === null) return;
    try {
      this.training.track(await this.#api.call('learning.train', { datasetId }));
    } catch (err) {
      this.#notices.report(err);
    }
  }

  cancel(): Promise<void> {
    return this.training.cancel();
  }

  /** Follows the training job; when one of this dataset's ends, the report is read again. */
  progressed(p: Events['jobs.progressed']): void {
    if (p.kind === 'identities') {
      // The report's job ended: read the stored report (a failed job leaves the old one, marked stale).
      if (p.jobId === this.#identitiesJob && p.state !== 'queued' && p.state !== 'running') {
        this.#identitiesJob = null;
        if (p.state === 'done') void this.loadIdentities(this.#identitiesOf);
        else this.identitiesLoading = false;
      }
      return;
    }
    if (p.kind !== 'train') return;
    const known = this.training.current?.id === p.jobId;
    this.training.progressed(p);
    const ended = p.state !== 'queued' && p.state !== 'running';
    // A retraining queued by `retrainEvery` elsewhere is a new job: load() picks it up with the report.
    if (!known || ended) void this.load(this.datasetId);
  }

  get trainingActive(): boolean {
    return isActive(this.training.current);
  }

  /** Saves the whole form in one call; a refused value is shown beside its field. */
  async saveSettings(form: LearningSettingsForm): Promise<void> {
    const datasetId = this.datasetId;
    if (datasetId === null) return;
    this.settingsSaved = false;
    const errors: Record<string, string> = {};
    const retrain = form.retrainEvery.trim() === '' ? null : numberField(form.retrainEvery);
    const lambda = numberField(form.lambda);
    if (typeof retrain === 'string') errors.retrainEvery = retrain;
    if (typeof lambda === 'string') errors.lambda = lambda;
    this.settingsErrors = errors;
    if (typeof retrain === 'string' || typeof lambda === 'string') return;
    try {
      const settings = await this.#api.call('learning.settings', {
        datasetId,
        retrainEvery: retrain,
        lambda,
        embeddingModel: form.embeddingModel,
        decode: form.decode,
      });
      if (this.datasetId !== datasetId) return;
      if (this.report) this.report = { ...this.report, settings };
      this.settingsSaved = true;
    } catch (err) {
      const e = AppError.from(err);
      if (e.code === 'invalid_request' && e.where?.field)
        this.settingsErrors = { [e.where.field]: e.message };
      else this.#notices.report(err);
    }
  }

  /** Clusters, duplicates and leakage under the thresholds asked for (main computes them per request). */
  async loadIdentities(datasetId: number | null): Promise<void> {
    const seq = ++this.#idSeq;
    if (datasetId !== this.#identitiesOf) this.identities = null;
    this.#identitiesOf = datasetId;
    if (datasetId === null) return;
    this.identitiesLoading = true;
    try {
      const req = {
        datasetId,
        ...(this.threshold !== null ? { threshold: this.threshold } : {}),
        ...(this.duplicateThreshold !== null ? { duplicateThreshold: this.duplicateThreshold } : {}),
      };
      const r = await this.#api.call('learning.identities', req);
      if (seq !== this.#idSeq) return;
      this.identities = r.report;
      this.identitiesState = r.state;
      this.identitiesComputedAt = r.computedAt;
      // A job computes a fresh report: loading stays on until its progress event says it ended.
      this.#identitiesJob = r.job && isActive(r.job) ? r.job.id : null;
      // It may have ended before this answer arrived (its progress event then went by unclaimed).
      if (this.#identitiesJob !== null) {
        const job = await this.#api.call('jobs.get', { id: this.#identitiesJob });
        if (seq === this.#idSeq && !isActive(job) && this.#identitiesJob === job.id) {
          this.#identitiesJob = null;
          if (job.state === 'done') void this.loadIdentities(datasetId);
        }
      }
    } catch (err) {
      if (seq === this.#idSeq) this.#notices.report(err);
    } finally {
      if (seq === this.#idSeq && this.#identitiesJob === null) this.identitiesLoading = false;
    }
  }
}
