// The mask shown on the review stage: which version, its decoded ids, hidden classes, and the stroke history.
import type { ApiClient, FaceDetail, MaskEntry } from '@shared/api';
import { AppError } from '@shared/errors';
import { NO_CLASSES, classShares, decodeLabelMap, encodeRuns, toggled, type LabelMap } from './mask';

const PRECEDENCE: MaskEntry['source'][] = ['human', 'import', 'model', 'derived'];
const keyOf = (m: MaskEntry) => `${m.source}:${m.version}`;

/** The mask rules read first: a person's newest edit, then an import, a model, a derivation. */
export function defaultMask(masks: readonly MaskEntry[]): MaskEntry | null {
  return (
    [...masks].sort(
      (a, b) => PRECEDENCE.indexOf(a.source) - PRECEDENCE.indexOf(b.source) || b.version - a.version,
    )[0] ?? null
  );
}

export class MaskLayer {
  #api: ApiClient;
  #seq = 0;
  selected = $state<string>('');
  map = $state.raw<LabelMap | null>(null);
  hidden = $state.raw<ReadonlySet<number>>(NO_CLASSES);
  /** Bumped whenever the ids change in place (a stroke, a stroke undo). */
  revision = $state(0);
  undoStack = $state.raw<Uint8Array[]>([]);
  redoStack = $state.raw<Uint8Array[]>([]);
  error = $state<string | null>(null);

  constructor(api: ApiClient) {
    this.#api = api;
  }

  entry(detail: FaceDetail | null): MaskEntry | null {
    return detail?.masks.find((m) => keyOf(m) === this.selected) ?? null;
  }

  get dirty(): boolean {
    return this.undoStack.length > 0;
  }

  /** Shows a face's mask (the given version, else the default); an unsaved edit is dropped. */
  async show(faceId: number, masks: readonly MaskEntry[], key?: string): Promise<void> {
    const m = masks.find((x) => keyOf(x) === key) ?? defaultMask(masks);
    const seq = ++this.#seq;
    this.undoStack = [];
    this.redoStack = [];
    if (!m) {
      this.selected = '';
      this.map = null;
      return;
    }
    this.selected = keyOf(m);
    try {
      const url = this.#api.assetUrl('mask', faceId, { source: m.source, version: m.version });
      const res = await fetch(url);
      if (!res.ok) throw new AppError('io_error', `mask ${m.source} v${m.version}: HTTP ${res.status}`);
      const map = decodeLabelMap(await res.arrayBuffer());
      if (seq === this.#seq) {
        this.map = map;
        this.error = null;
      }
    } catch (err) {
      if (seq === this.#seq) this.error = AppError.from(err).message;
    }
  }

  /** Forgets the stroke history (its edit was handed to a save). */
  forget(): void {
    this.undoStack = [];
    this.redoStack = [];
  }

  toggle(id: number): void {
    this.hidden = toggled(this.hidden, id);
  }

  /** Share of the map per class id. */
  present(): Map<number, number> {
    return classShares(this.map?.ids);
  }

  /** Called before a stroke changes the ids. */
  begin(): void {
    if (!this.map) return;
    this.undoStack = [...this.undoStack, this.map.ids.slice()].slice(-50);
    this.redoStack = [];
    this.revision++;
  }

  undo(): void {
    const prev = this.undoStack.at(-1);
    if (!prev || !this.map) return;
    this.redoStack = [...this.redoStack, this.map.ids.slice()];
    this.undoStack = this.undoStack.slice(0, -1);
    this.map.ids.set(prev);
    this.revision++;
  }

  redo(): void {
    const next = this.redoStack.at(-1);
    if (!next || !this.map) return;
    this.undoStack = [...this.undoStack, this.map.ids.slice()];
    this.redoStack = this.redoStack.slice(0, -1);
    this.map.ids.set(next);
    this.revision++;
  }

  /** What masks.save needs for the current ids. */
  payload(detail: FaceDetail | null) {
    const m = this.entry(detail);
    if (!this.map || !m) return null;
    return { width: this.map.width, height: this.map.height, box: m.box, runs: encodeRuns(this.map.ids) };
  }
}
