// The review screen's likely wrong labels: the face's confident-learning suspects from the latest training run.
import type { ApiClient, LabelIssue } from '@shared/api';
import { isCelebaAttribute } from '@shared/taxonomy';
import { AppError } from '@shared/errors';

/** The value `labels.set` takes for an issue's suggestion: a number (`1` / `-1`) for CelebA keys. */
export function suggestedValue(issue: Pick<LabelIssue, 'key' | 'suggested'>): string | number {
  return isCelebaAttribute(issue.key) ? Number(issue.suggested) : issue.suggested;
}

export class SuspectsState {
  #api: ApiClient;
  #seq = 0;
  /** The face's suspects, highest score first (stale ones included, marked). */
  items = $state.raw<LabelIssue[]>([]);
  faceId = $state<number | null>(null);
  error = $state<string | null>(null);

  constructor(api: ApiClient) {
    this.#api = api;
  }

  /** The first suspect whose label is unchanged since training: the one `w` fixes. */
  get open(): LabelIssue | null {
    return this.items.find((i) => !i.stale) ?? null;
  }

  async load(datasetId: number, faceId: number): Promise<void> {
    const seq = ++this.#seq;
    if (faceId !== this.faceId) this.items = [];
    this.faceId = faceId;
    try {
      const page = await this.#api.call('learning.suspects', { datasetId, faceId, suspects: true });
      if (seq !== this.#seq) return;
      this.items = page.items;
      this.error = null;
    } catch (err) {
      if (seq === this.#seq)
        this.error = `Cannot read the likely wrong labels: ${AppError.from(err).message}`;
    }
  }
}
