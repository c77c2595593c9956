// The rules editor: the text being edited, its parse errors and per-rule flag counts (checked as you type), save.
import type { ApiClient, Events, Job, Res } from '@shared/api';
import { withProgress } from './jobs.svelte';
import type { Notices } from './notices.svelte';

export class RulesEditorState {
  text = $state('');
  saved = $state('');
  check = $state.raw<Res<'rules.check'> | null>(null);
  jobs = $state.raw<Job[]>([]);
  saving = $state(false);
  #api: ApiClient;
  #notices: Notices;
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #datasetId: number | null = null;

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
  }

  get dirty(): boolean {
    return this.text !== this.saved;
  }

  async load(datasetId: number | null): Promise<void> {
    this.#datasetId = datasetId;
    try {
      const state = await this.#api.call('rules.get', {});
      if (!this.dirty || this.saved === '') this.text = state.text;
      this.saved = state.text;
      await this.#check();
    } catch (err) {
      this.#notices.report(err);
    }
  }

  /** Typing: re-check 300 ms after the last key, so a fast typist sends one request. */
  edit(text: string): void {
    this.text = text;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#check(), 300);
  }

  async #check(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const req = { text: this.text, ...(this.#datasetId !== null ? { datasetId: this.#datasetId } : {}) };
      const result = await this.#api.call('rules.check', req);
      if (seq === this.#seq) this.check = result;
    } catch (err) {
      if (seq === this.#seq) this.#notices.report(err);
    }
  }

  /** Saves the rule set (refused whole on a parse error) and follows the re-evaluation jobs it queued. */
  async save(): Promise<void> {
    if (this.saving) return;
    this.saving = true;
    try {
      const { rules, jobs } = await this.#api.call('rules.set', { text: this.text });
      this.saved = rules.text;
      this.text = rules.text;
      this.jobs = jobs;
    } catch (err) {
      this.#notices.report(err);
    } finally {
      this.saving = false;
    }
  }

  progressed(p: Events['jobs.progressed']): void {
    this.jobs = this.jobs.map((j) => (j.id === p.jobId ? withProgress(j, p) : j));
  }
}
