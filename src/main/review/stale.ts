// Stale edits: a reviewer edits a label another reviewer changed after the reviewer's view of the face was read.
// The edit still applies (the later one wins, both stay in label_events); the editor is told what it replaced.
import type { StaleLabel } from '../../shared/api';
import type { Store } from '../store/index';

/**
 * The labels among `changes` (stored text, null = clear) that someone changed after event `seenEventId` and that
 * this edit would now replace with a different value. Call it inside the edit's write, before applying it.
 */
export function staleLabels(
  store: Store,
  faceId: number,
  changes: readonly { key: string; value: string | null }[],
  seenEventId: number | undefined,
): StaleLabel[] {
  if (seenEventId === undefined) return [];
  const out: StaleLabel[] = [];
  for (const c of changes) {
    const since = store.labelHistory.changedSince(faceId, c.key, seenEventId);
    if (!since || since.last.value === c.value) continue;
    out.push({
      key: c.key,
      seen: since.seen,
      overwritten: since.last.value,
      by: since.last.actor,
      at: since.last.at,
    });
  }
  return out;
}
