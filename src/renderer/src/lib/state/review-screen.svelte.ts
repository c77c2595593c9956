// The review screen's state and actions (`#/review/<faceId>`): the face, the focused row, the overlay toggles, the
// fix picker, the confirmation Enter asks for on open errors, and the action table the keymap dispatches to.
import type { ApiClient, Events, FixChange, LabelIssue, ViolationEntry } from '@shared/api';
import { fixOptions, type FixOption } from './fixes';
import type { Action } from '../keymap';
import { acceptAllChanges, attributeRows, parseAge } from '../components/review/rows';
import { ReviewState, type NeighbourQuery } from './review.svelte';
import { MaskLayer } from '../components/review/mask-layer.svelte';
import { StageView } from '../components/review/stage-view.svelte';
import { SuspectsState, suggestedValue } from './suspects.svelte';

export interface ReviewNav {
  open(faceId: number): void;
  close(): void;
  /** Whether Enter on a face with open error violations asks for a second Enter (a setting). */
  confirmErrors(): boolean;
  /** Shows an error that outlives the screen (a mask edit saved on leaving that main refused). */
  report(err: unknown): void;
}

export class ReviewScreenState {
  readonly review: ReviewState;
  /** The mask on the stage and its unsaved strokes (saved when the reviewer leaves the face). */
  readonly layer: MaskLayer;
  /** The stage's zoom and pan (fitted again for each face). */
  readonly view = new StageView();
  /** The face's likely wrong labels (`learning.suspects`); `w` fixes the first open one. */
  readonly suspects: SuspectsState;
  focused = $state(0);
  hovered = $state.raw<string[] | null>(null);
  showMask = $state(true);
  showLandmarks = $state(false);
  /** The fixes `x` listed (several); `1`-`9` applies one, Escape closes. */
  picker = $state.raw<FixOption[] | null>(null);
  /** The field whose editor is open (its values numbered for `1`-`9`, or the age typed), or null. */
  editing = $state<string | null>(null);
  /** What the age editor starts with (the digit that opened it). */
  ageDraft = $state('');
  /** The face detail Enter was refused on (open errors): a second Enter on the same detail confirms. */
  confirming = $state.raw<object | null>(null);
  datasetId = $state<number | null>(null);
  readonly rows = $derived.by(() => (this.review.detail ? attributeRows(this.review.detail) : []));
  /** The open error violations while Enter waits for its confirmation. */
  readonly blocking = $derived.by(() =>
    this.confirming && this.confirming === this.review.detail ? this.#errors() : [],
  );
  #nav: ReviewNav;
  #listKey = '';

  constructor(api: ApiClient, nav: ReviewNav) {
    this.review = new ReviewState(api);
    this.layer = new MaskLayer(api);
    this.suspects = new SuspectsState(api);
    this.#nav = nav;
  }

  /** Shows a face; the list j / k walk is the gallery's (dataset and filter), read again only when it changes. */
  open(faceId: number, datasetId: number | null, query: NeighbourQuery): void {
    if (this.review.detail?.face.id !== faceId) {
      this.saveMaskEdit();
      this.view.fit();
    }
    this.picker = null;
    this.editing = null;
    this.confirming = null;
    this.datasetId = datasetId;
    void this.review.load(faceId).then(() => {
      const ds = datasetId ?? this.review.detail?.face.datasetId ?? null;
      const key = JSON.stringify([ds, query]);
      if (ds === null || key === this.#listKey) return;
      this.#listKey = key;
      this.datasetId = ds;
      void Promise.all([this.review.loadList(ds, query), this.review.loadOrder(ds, query)]);
    });
  }

  /**
   * Another client changed faces: the face on show is read again in place; the focused row, an open editor, the
   * typed age and unsaved mask strokes stay (the stage keeps its mask list while strokes are unsaved).
   */
  changed(p: Events['faces.changed']): void {
    const face = this.review.detail?.face;
    if (!face || face.datasetId !== p.datasetId) return;
    if (p.faceIds !== null && !p.faceIds.includes(face.id)) return;
    void this.review.refreshLive((fresh, shown) =>
      this.layer.dirty ? { ...fresh, masks: shown.masks } : fresh,
    );
  }

  /** j / k: always the gallery's list. */
  go(step: 1 | -1): void {
    const next = this.review.neighbour(step);
    if (next === null) this.review.status = step === 1 ? 'Last face of the list' : 'First face of the list';
    else this.#nav.open(next);
  }

  close(): void {
    this.saveMaskEdit();
    this.#nav.close();
  }

  /**
   * An unsaved mask edit is never dropped: leaving the face (j / k, Enter, Esc, the gallery, another URL) or
   * picking another version saves it as a new human version first. Returns whether there was one.
   */
  saveMaskEdit(): boolean {
    const detail = this.review.detail;
    const req = this.layer.dirty ? this.layer.payload(detail) : null;
    if (!detail || !req) return false;
    this.layer.forget();
    this.review.saveMaskOf(detail.face.id, req).catch((err: unknown) => this.#nav.report(err));
    return true;
  }

  setRow(key: string, value: string | number | null): void {
    void this.review.setLabel(key, value);
  }

  /** Opens a field's editor (Space or a click on its value); `draft` starts a typed age. */
  edit(key: string | null, draft = ''): void {
    this.editing = key;
    this.ageDraft = draft;
    const i = this.rows.findIndex((r) => r.key === key);
    if (i >= 0) this.focused = i;
  }

  /** `1`-`9` in an open value list: sets that value. */
  pickValue(n: number): boolean {
    const value = this.rows.find((r) => r.key === this.editing)?.choices?.[n - 1];
    if (value === undefined) return false;
    this.choose(value);
    return true;
  }

  /** Sets the open field to `value` (a click in its list) and closes the editor. */
  choose(value: string): void {
    const key = this.editing;
    this.editing = null;
    if (key) this.setRow(key, value);
  }

  /** The typed age: saved when it is whole years from 0 to 120, else explained and kept open. */
  setAge(text: string): void {
    const age = parseAge(text);
    if (age === null) {
      this.review.status = `Age: type whole years from 0 to 120, got "${text}"`;
      return;
    }
    this.editing = null;
    this.setRow('age', age);
  }

  /** `1`-`9`: a listed fix, else a listed value, else on the age row the first digit of a typed age. */
  #pick(key: string): boolean {
    if (this.picker) return this.pickFix(Number(key));
    if (this.editing) return this.pickValue(Number(key));
    if (this.rows[this.focused]?.key !== 'age') return false;
    this.edit('age', key);
    return true;
  }

  applyFix(changes: FixChange[]): void {
    this.picker = null;
    this.hovered = null; // the fixed violation leaves the list before its pointerleave could fire
    void this.review.apply(
      changes.map((c) => ({ key: c.key, value: c.to })),
      'Fix applied',
    );
  }

  /** `x`: one fix applies at once; several are listed, numbered, for `1`-`9`. */
  fix(): void {
    const options = fixOptions(this.review.detail?.violations ?? []);
    if (options.length === 0) this.review.status = 'No stored fix for this face';
    else if (options.length === 1) this.applyFix(options[0]!.changes);
    else this.picker = options;
  }

  /** `w` or a suspect's button: sets the held-out model's suggested value (one undoable label edit). */
  fixSuspect(issue: LabelIssue | null = this.suspects.open): void {
    if (!issue) {
      this.review.status = 'No likely wrong label on this face';
      return;
    }
    void this.review.apply(
      [{ key: issue.key, value: suggestedValue(issue) }],
      `${issue.key} set to the suggested value`,
    );
  }

  pickFix(n: number): boolean {
    const option = this.picker?.[n - 1];
    if (!option) return false;
    this.applyFix(option.changes);
    return true;
  }

  #errors(): ViolationEntry[] {
    return this.review.detail?.violations.filter((v) => v.severity === 'error') ?? [];
  }

  /**
   * Enter: mark reviewed, then the most useful face or the next of the list (`review.order`). A face with open
   * error violations (an edit may just have made one) first shows them; Enter again on the same state confirms.
   */
  async markReviewed(): Promise<void> {
    const detail = this.review.detail;
    if (!detail) return;
    const errors = this.#errors();
    if (errors.length > 0 && this.#nav.confirmErrors() && this.confirming !== detail) {
      this.confirming = detail;
      const n = errors.length;
      this.review.status = `${n} open error${n === 1 ? '' : 's'}: press Enter again to mark reviewed`;
      return;
    }
    this.confirming = null;
    if (!(await this.review.setReview('reviewed'))) return;
    const ds = this.datasetId;
    if (this.review.order === 'list' || ds === null) return this.go(1);
    const next = await this.review.nextUseful(ds);
    if (next === null) this.review.status = 'Marked reviewed; no unreviewed face left';
    else this.#nav.open(next);
  }

  #setFocused(value: 'yes' | 'no' | 'toggle' | 'unknown'): void {
    const row = this.rows[this.focused];
    if (!row) return;
    if (value === 'unknown') return this.setRow(row.key, null);
    if (!row.binary) {
      // Space on a field opens its editor; y accepts its prediction; n clears the human value.
      if (value === 'toggle') return this.edit(row.key);
      if (value === 'no') return this.setRow(row.key, null);
      if (row.prediction) this.setRow(row.key, row.prediction.value);
      return;
    }
    const on = value === 'yes' || (value === 'toggle' && row.effective !== '1');
    this.setRow(row.key, on ? 1 : -1);
  }

  /** The review keys; `key` is the key pressed (the fix number). Returns true when the key was used. */
  run(action: Action, key: string): boolean {
    const r = this.review;
    const detail = r.detail;
    const table: Partial<Record<Action, () => unknown>> = {
      next: () => this.go(1),
      prev: () => this.go(-1),
      'row-down': () => (this.focused = Math.min(this.rows.length - 1, this.focused + 1)),
      'row-up': () => (this.focused = Math.max(0, this.focused - 1)),
      toggle: () => this.#setFocused('toggle'),
      yes: () => this.#setFocused('yes'),
      no: () => this.#setFocused('no'),
      unknown: () => this.#setFocused('unknown'),
      'accept-all': () => void r.apply(acceptAllChanges(this.rows), 'Accepted all predictions'),
      'reviewed-next': () => void this.markReviewed(),
      flag: () => void r.setReview(detail?.face.review === 'flagged' ? 'unreviewed' : 'flagged'),
      skip: () => void r.setReview('skipped'),
      // Ctrl+Z first takes back unsaved mask strokes, then the face's saved steps (labels and mask versions).
      undo: () => (this.layer.dirty ? this.layer.undo() : void r.undo()),
      redo: () => (this.layer.redoStack.length > 0 ? this.layer.redo() : void r.redo()),
      fix: () => this.fix(),
      'fix-suspect': () => this.fixSuspect(),
      propose: () => void r.propose(),
      overlay: () => (this.showMask = !this.showMask),
      landmarks: () => (this.showLandmarks = !this.showLandmarks),
      'zoom-in': () => this.view.zoomCentre(1.25),
      'zoom-out': () => this.view.zoomCentre(0.8),
      'zoom-fit': () => this.view.fit(),
      close: () => {
        if (this.editing) this.editing = null;
        else if (this.picker) this.picker = null;
        else if (r.proposal) r.proposal = null;
        else this.close();
      },
    };
    if (action === 'pick') return this.#pick(key);
    // The listed fixes and values belong to the face as it was: any other key closes the list.
    if (action !== 'close') {
      this.picker = null;
      this.editing = null;
    }
    const run = table[action];
    if (!run) return false;
    run();
    return true;
  }
}
