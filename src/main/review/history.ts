// Undo / redo stacks replayed from a face's label_events: edits push, undo moves a step to redo, redo back.
import type { HistoryEvent } from '../store/repositories/label-history';

export interface HistoryStep {
  /** The original edit step's id (what undo / redo events point at). */
  step: number;
  changes: { key: string; old: string | null; new: string | null }[];
}

/** Replays the log: a new edit clears the redo stack, as in any editor. */
export function historyStacks(log: readonly HistoryEvent[]): { undo: HistoryStep[]; redo: HistoryStep[] } {
  const groups: {
    kind: HistoryEvent['kind'];
    step: number;
    undoOf: number | null;
    events: HistoryEvent[];
  }[] = [];
  const byStep = new Map<number, (typeof groups)[number]>();
  for (const e of log) {
    let g = byStep.get(e.step);
    if (!g) {
      g = { kind: e.kind, step: e.step, undoOf: e.undoOf, events: [] };
      byStep.set(e.step, g);
      groups.push(g);
    }
    g.events.push(e);
  }
  const undo: HistoryStep[] = [];
  let redo: HistoryStep[] = [];
  const take = (stack: HistoryStep[], step: number | null) => {
    const i = stack.findLastIndex((s) => s.step === step);
    return i < 0 ? null : (stack.splice(i, 1)[0] ?? null);
  };
  for (const g of groups) {
    if (g.kind === 'edit') {
      undo.push({ step: g.step, changes: g.events.map((e) => ({ key: e.key, old: e.old, new: e.new })) });
      redo = [];
    } else if (g.kind === 'undo') {
      const s = take(undo, g.undoOf);
      if (s) redo.push(s);
    } else {
      const s = take(redo, g.undoOf);
      if (s) undo.push(s);
    }
  }
  return { undo, redo };
}

/** The label values that revert a step: each key back to its value before the step's first change of it. */
export function revertChanges(step: HistoryStep): { key: string; value: string | null }[] {
  const out = new Map<string, string | null>();
  for (const c of step.changes) if (!out.has(c.key)) out.set(c.key, c.old);
  return [...out].map(([key, value]) => ({ key, value }));
}

/** The label values that re-apply a step: each key to its value after the step's last change of it. */
export function replayChanges(step: HistoryStep): { key: string; value: string | null }[] {
  const out = new Map<string, string | null>();
  for (const c of step.changes) out.set(c.key, c.new);
  return [...out].map(([key, value]) => ({ key, value }));
}
