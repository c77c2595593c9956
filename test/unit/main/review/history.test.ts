// Undo / redo stacks replayed from label_events rows: steps, reverts, re-applies, a new edit clearing redo.
import { describe, expect, it } from 'vitest';
import { historyStacks, replayChanges, revertChanges } from '../../../../src/main/review/history';
import type { HistoryEvent } from '../../../../src/main/store/repositories/label-history';

let nextId = 1;
function ev(
  kind: HistoryEvent['kind'],
  key: string,
  old: string | null,
  now: string | null,
  step?: number,
  undoOf: number | null = null,
): HistoryEvent {
  const id = nextId++;
  return { id, key, old, new: now, kind, step: step ?? id, undoOf };
}

describe('historyStacks', () => {
  it('groups a multi-change step and reverts every key to its value before the step', () => {
    const a = ev('edit', 'Bald', null, '1');
    const b = ev('edit', 'Bangs', '-1', '1', a.id);
    const { undo, redo } = historyStacks([a, b]);
    expect(undo).toHaveLength(1);
    expect(redo).toEqual([]);
    expect(revertChanges(undo[0]!)).toEqual([
      { key: 'Bald', value: null },
      { key: 'Bangs', value: '-1' },
    ]);
    expect(replayChanges(undo[0]!)).toEqual([
      { key: 'Bald', value: '1' },
      { key: 'Bangs', value: '1' },
    ]);
  });

  it('moves an undone step to redo and back, and a new edit clears redo', () => {
    const e1 = ev('edit', 'Smiling', null, '1');
    const e2 = ev('edit', 'Bald', null, '1');
    const u2 = ev('undo', 'Bald', '1', null, undefined, e2.step);
    let s = historyStacks([e1, e2, u2]);
    expect(s.undo.map((x) => x.step)).toEqual([e1.step]);
    expect(s.redo.map((x) => x.step)).toEqual([e2.step]);
    const r2 = ev('redo', 'Bald', null, '1', undefined, e2.step);
    s = historyStacks([e1, e2, u2, r2]);
    expect(s.undo.map((x) => x.step)).toEqual([e1.step, e2.step]);
    expect(s.redo).toEqual([]);
    const u2b = ev('undo', 'Bald', '1', null, undefined, e2.step);
    const e3 = ev('edit', 'Bangs', null, '1');
    s = historyStacks([e1, e2, u2, r2, u2b, e3]);
    expect(s.undo.map((x) => x.step)).toEqual([e1.step, e3.step]);
    expect(s.redo).toEqual([]);
  });

  it('treats a key changed twice in one step by its first old and last new value', () => {
    const a = ev('edit', 'age', '30', '31');
    const b = ev('edit', 'age', '31', '35', a.id);
    const step = historyStacks([a, b]).undo[0]!;
    expect(revertChanges(step)).toEqual([{ key: 'age', value: '30' }]);
    expect(replayChanges(step)).toEqual([{ key: 'age', value: '35' }]);
  });
});
