// Team mode in the renderer: who is calling (`team.me`), a dataset's double-review share and inter-reviewer
// agreement (Stats → Team review), and an admin taking a face over from the reviewer holding it.
import type { ApiClient, FaceDetail, Res } from '@shared/api';
import { AppError } from '@shared/errors';
import type { Notices } from './notices.svelte';

/** The share as the form shows it: percent, without trailing zeros (0.1 → "10"). */
export const sharePercent = (share: number): string => String(Math.round(share * 1e6) / 1e4);

export class TeamState {
  /** The calling person; null until read (outside team mode `team` is false). */
  me = $state.raw<Res<'team.me'> | null>(null);
  datasetId = $state<number | null>(null);
  agreement = $state.raw<Res<'team.agreement'> | null>(null);
  /** Why the last share change was refused (main's message, or the form's parse error). */
  shareError = $state<string | null>(null);
  shareSaved = $state(false);
  #api: ApiClient;
  #notices: Notices;
  #seq = 0;

  constructor(api: ApiClient, notices: Notices) {
    this.#api = api;
    this.#notices = notices;
  }

  get team(): boolean {
    return this.me?.team ?? false;
  }

  get isAdmin(): boolean {
    return this.me?.user?.role === 'admin';
  }

  async loadMe(): Promise<void> {
    try {
      this.me = await this.#api.call('team.me', {});
    } catch (err) {
      this.#notices.report(err);
    }
  }

  /** The dataset's share and agreement (team mode only: outside it nobody is handed faces twice). */
  async load(datasetId: number | null): Promise<void> {
    const seq = ++this.#seq;
    if (datasetId !== this.datasetId) {
      this.agreement = null;
      this.shareError = null;
      this.shareSaved = false;
    }
    this.datasetId = datasetId;
    if (this.me === null) await this.loadMe();
    if (datasetId === null || !this.team) return;
    try {
      const agreement = await this.#api.call('team.agreement', { datasetId });
      if (seq === this.#seq) this.agreement = agreement;
    } catch (err) {
      if (seq === this.#seq) this.#notices.report(err);
    }
  }

  /** Saves the share typed in percent; main checks the range and its refusal is shown beside the field. */
  async saveShare(text: string): Promise<void> {
    const datasetId = this.datasetId;
    if (datasetId === null) return;
    this.shareSaved = false;
    const percent = Number(text.trim().replace(/%$/, '').trim());
    if (text.trim() === '' || !Number.isFinite(percent)) {
      this.shareError = `expected a percentage from 0 to 100, got "${text}"`;
      return;
    }
    try {
      const { doubleReview } = await this.#api.call('team.settings', {
        datasetId,
        doubleReview: percent / 100,
      });
      if (this.datasetId !== datasetId) return;
      this.shareError = null;
      this.shareSaved = true;
      if (this.agreement) this.agreement = { ...this.agreement, doubleReview };
    } catch (err) {
      const e = AppError.from(err);
      if (e.code === 'invalid_request' || e.code === 'forbidden') this.shareError = e.message;
      else this.#notices.report(err);
    }
  }

  /** An admin takes the face over from whoever holds it: the face as it is now, or null when refused. */
  async takeOver(faceId: number): Promise<FaceDetail | null> {
    try {
      return (await this.#api.call('team.takeOver', { faceId })).detail;
    } catch (err) {
      this.#notices.report(err);
      return null;
    }
  }
}
