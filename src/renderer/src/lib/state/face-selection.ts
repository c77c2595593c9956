// Gallery selection as immutable sets: each change makes a new set for `$state.raw`.

export const NO_FACES: ReadonlySet<number> = new Set();

export function toggled(selected: ReadonlySet<number>, id: number): ReadonlySet<number> {
  const next = new Set(selected);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

/** Adds every loaded face between `anchor` and `id` (inclusive, in gallery order). */
export function withRange(
  selected: ReadonlySet<number>,
  items: readonly ({ id: number } | undefined)[],
  anchor: number,
  id: number,
): ReadonlySet<number> {
  const ids = items.map((f) => f?.id);
  const a = ids.indexOf(anchor);
  const b = ids.indexOf(id);
  const next = new Set(selected);
  if (a < 0 || b < 0) return next.add(id);
  for (let i = Math.min(a, b); i <= Math.max(a, b); i++) if (ids[i] !== undefined) next.add(ids[i]!);
  return next;
}
