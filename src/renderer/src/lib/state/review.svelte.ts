// One face under review: its detail, its neighbours in the gallery's list, and every edit as one API call.
import type {
  ApiClient,
  FaceDetail,
  LabelEditResult,
  LabelProposal,
  ReviewStatus,
  StaleLabel,
} from '@shared/api';
import { AppError } from '@shared/errors';

export type NeighbourQuery = Record<string, unknown>;

/** What masks.save takes besides the face. */
export type MaskSave = {
  width: number;
  height: number;
  box: FaceDetail['masks'][number]['box'];
  runs: number[];
};

/** Where Enter goes after marking a face reviewed: the active-review order, or the next face of the list. */
export type EnterOrder = 'useful' | 'list';

/** Query keys that order the list rather than narrow it. */
const ORDER_KEYS = new Set(['sort', 'desc']);

/**
 * The rule: Enter follows `learning.next` when the gallery was sorted "Most useful to review", or when the
 * dataset has a learned model and the list is not filtered (a filtered list is a subset the reviewer chose).
 */
export function enterOrder(query: NeighbourQuery, hasModel: boolean): EnterOrder {
  if (query.sort === 'useful' || query.sort === 'wrong') return 'useful';
  const filtered = Object.keys(query).some((k) => !ORDER_KEYS.has(k));
  return hasModel && !filtered ? 'useful' : 'list';
}

export class ReviewState {
  #api: ApiClient;
  #seq = 0;
  detail = $state.raw<FaceDetail | null>(null);
  /** Face ids of the list j / k walk (the gallery's filter when the URL carried one, else the dataset). */
  ids = $state.raw<number[]>([]);
  proposal = $state.raw<LabelProposal | null>(null);
  busy = $state(false);
  error = $state.raw<string | null>(null);
  /** A short line after an action ("Undone", "Marked reviewed"). */
  status = $state<string | null>(null);
  order = $state<EnterOrder>('list');
  /**
   * Which order `learning.next` follows: likely wrong labels first (the gallery sorted so, or by default once a
   * training run stored label-issue scores), or the most useful. Updated from each answer.
   */
  nextOrder = $state<'wrong' | 'useful'>('useful');
  /** The order the gallery's sort asks of `learning.next`; undefined: main's default. */
  #askOrder: 'wrong' | 'useful' | undefined;
  #orderSeq = 0;
  /**
   * Labels the reviewer's latest edit replaced without having seen them (another reviewer changed them after this
   * view was read): the edit applied, and this says what it overwrote and who had set it. Dismissed by hand.
   */
  stale = $state.raw<{ faceId: number; labels: StaleLabel[] } | null>(null);
  #liveSeq = 0;

  constructor(api: ApiClient) {
    this.#api = api;
  }

  get index(): number {
    return this.detail ? this.ids.indexOf(this.detail.face.id) : -1;
  }

  async load(faceId: number): Promise<void> {
    const seq = ++this.#seq;
    this.proposal = null;
    try {
      const d = await this.#api.call('faces.get', { id: faceId });
      if (seq === this.#seq) {
        this.detail = d;
        this.error = null;
      }
    } catch (err) {
      if (seq === this.#seq) this.error = AppError.from(err).message;
    }
  }

  /** Loads the ids of the list to walk, page by page (ids only are kept). */
  async loadList(datasetId: number, query: NeighbourQuery): Promise<void> {
    try {
      this.ids = await this.#listIds(datasetId, query);
    } catch (err) {
      this.status = `Cannot list the faces to walk: ${AppError.from(err).message}`;
    }
  }

  async #listIds(datasetId: number, query: NeighbourQuery): Promise<number[]> {
    const ids: number[] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await this.#api.call('faces.list', {
        ...(query as object),
        datasetId,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      ids.push(...page.items.map((f) => f.id));
      if (page.nextCursor === null || ids.length >= 100_000) break;
      cursor = page.nextCursor;
    }
    return ids;
  }

  /** Decides where Enter goes (see `enterOrder`); asks main whether a learned model exists. */
  async loadOrder(datasetId: number, query: NeighbourQuery): Promise<void> {
    const seq = ++this.#orderSeq;
    this.#askOrder = query.sort === 'useful' || query.sort === 'wrong' ? query.sort : undefined;
    try {
      const [{ model }, { runId }] = await Promise.all([
        this.#api.call('learning.report', { datasetId }),
        this.#api.call('learning.noise', { datasetId }),
      ]);
      if (seq !== this.#orderSeq) return;
      this.order = enterOrder(query, model !== null);
      this.nextOrder = this.#askOrder ?? (runId !== null ? 'wrong' : 'useful');
    } catch (err) {
      if (seq === this.#orderSeq)
        this.status = `Cannot read the learned model: ${AppError.from(err).message}`;
    }
  }

  /** The most useful unreviewed face besides this one (`learning.next`), or null when none is left. */
  async nextUseful(datasetId: number): Promise<number | null> {
    const current = this.detail?.face.id;
    try {
      const { item, retrainJob, order } = await this.#api.call('learning.next', {
        datasetId,
        ...(current ? { exclude: [current] } : {}),
        ...(this.#askOrder ? { order: this.#askOrder } : {}),
      });
      this.nextOrder = order;
      if (retrainJob) this.status = `Marked reviewed; retraining queued (job ${retrainJob.id})`;
      return item?.face.id ?? null;
    } catch (err) {
      this.status = AppError.from(err).message;
      return null;
    }
  }

  neighbour(step: 1 | -1): number | null {
    const i = this.index;
    if (i < 0) return null;
    return this.ids[i + step] ?? null;
  }

  /**
   * Someone changed this face (a `faces.changed` event): reads it again and shows it unless an edit of the
   * reviewer's own is in flight (its answer brings the newest state) or the reviewer moved on. `keep` carries
   * over what must not change under the reviewer (the mask list while strokes are unsaved).
   */
  async refreshLive(keep: (fresh: FaceDetail, shown: FaceDetail) => FaceDetail = (f) => f): Promise<void> {
    const shown = this.detail;
    if (!shown || this.busy) return;
    const seq = ++this.#liveSeq;
    try {
      const d = await this.#api.call('faces.get', { id: shown.face.id });
      const now = this.detail;
      if (seq !== this.#liveSeq || this.busy || now?.face.id !== d.face.id) return;
      if (d.lastEventId < now.lastEventId) return; // an older read than what is on show
      this.detail = keep(d, now);
    } catch {
      // The next event or the reviewer's next action reads the face again.
    }
  }

  /** Runs one edit; the answer (the face re-checked) replaces the detail unless the reviewer moved on. */
  async #edit(run: () => Promise<FaceDetail | LabelEditResult>, done?: string): Promise<boolean> {
    const seq = this.#seq;
    this.busy = true;
    try {
      const d = await run();
      if ('stale' in d && d.stale.length > 0) this.stale = { faceId: d.face.id, labels: d.stale };
      if (seq === this.#seq) {
        this.detail = d;
        this.status = done ?? null;
      }
      return true;
    } catch (err) {
      if (seq === this.#seq) this.status = AppError.from(err).message;
      return false;
    } finally {
      this.busy = false;
    }
  }

  setLabel(key: string, value: string | number | null): Promise<boolean> {
    const faceId = this.detail?.face.id;
    if (!faceId) return Promise.resolve(false);
    const seenEventId = this.detail?.lastEventId;
    return this.#edit(() => this.#api.call('labels.set', { faceId, key, value, seenEventId }));
  }

  apply(changes: { key: string; value: string | number | null }[], done?: string): Promise<boolean> {
    const faceId = this.detail?.face.id;
    if (!faceId || changes.length === 0) return Promise.resolve(false);
    const seenEventId = this.detail?.lastEventId;
    return this.#edit(() => this.#api.call('labels.apply', { faceId, changes, seenEventId }), done);
  }

  undo(): Promise<boolean> {
    const faceId = this.detail?.face.id;
    if (!faceId) return Promise.resolve(false);
    return this.#edit(() => this.#api.call('labels.undo', { faceId }), 'Undone');
  }

  redo(): Promise<boolean> {
    const faceId = this.detail?.face.id;
    if (!faceId) return Promise.resolve(false);
    return this.#edit(() => this.#api.call('labels.redo', { faceId }), 'Redone');
  }

  async setReview(status: ReviewStatus): Promise<boolean> {
    const d = this.detail;
    if (!d) return false;
    try {
      await this.#api.call('reviews.set', { faceIds: [d.face.id], status });
      if (this.detail?.face.id === d.face.id) {
        this.detail = { ...d, face: { ...d.face, review: status } };
      }
      this.status = status === 'unreviewed' ? 'Back to unreviewed' : `Marked ${status}`;
      return true;
    } catch (err) {
      this.status = AppError.from(err).message;
      return false;
    }
  }

  async propose(): Promise<void> {
    const faceId = this.detail?.face.id;
    if (!faceId) return;
    try {
      const p = await this.#api.call('faces.proposal', { faceId });
      if (this.detail?.face.id === faceId) this.proposal = p;
    } catch (err) {
      this.status = AppError.from(err).message;
    }
  }

  async acceptProposal(): Promise<void> {
    const p = this.proposal;
    if (!p) return;
    const ok = await this.apply(
      p.changes.map((c) => ({ key: c.key, value: c.to })),
      `Applied ${p.changes.length} proposed labels`,
    );
    if (ok) this.proposal = null;
  }

  /**
   * Saves a face's mask edit the reviewer is leaving (another face, the gallery, another version): the answer
   * replaces the detail only while that face is still on show. Throws what main refused.
   */
  async saveMaskOf(faceId: number, req: MaskSave): Promise<void> {
    const d = await this.#api.call('masks.save', { faceId, ...req });
    const v = d.masks.find((m) => m.source === 'human')?.version;
    if (this.detail?.face.id === faceId) this.detail = d;
    this.status = `Mask edit of face ${faceId} saved as human v${v}`;
  }

  saveMask(req: MaskSave) {
    const faceId = this.detail?.face.id;
    if (!faceId) return Promise.resolve(false);
    return this.#edit(
      () => this.#api.call('masks.save', { faceId, ...req }),
      'Mask saved as a new human version',
    );
  }
}
