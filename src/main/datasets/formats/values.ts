// Label cells of generic files (CSV, the app's JSON) -> stored label text, with the spellings those files use.
import {
  AGE_BUCKETS,
  EXPRESSIONS,
  GENDERS,
  MAX_AGE,
  RACES,
  isCelebaAttribute,
  parseAgeBucket,
  type LabelKey,
} from '../../../shared/taxonomy';

const TRUE = new Set(['1', 'true', 'yes', 'y']);
const FALSE = new Set(['-1', '0', 'false', 'no', 'n']);

function byLowerCase(names: readonly string[]): Map<string, string> {
  return new Map(names.map((n) => [n.toLowerCase(), n]));
}
const genders = byLowerCase(GENDERS);
const races = byLowerCase(RACES);
const expressions = byLowerCase(EXPRESSIONS);

/**
 * The stored text of a label cell, or an error message. Lenient where generic files differ without doubt:
 * CelebA attributes as 1/-1, 1/0 or true/false (0 means absent: CelebA's -1); taxonomy names in any case.
 */
export function normaliseLabel(key: LabelKey, raw: string): { value: string } | { error: string } {
  const t = raw.trim();
  const lower = t.toLowerCase();
  if (isCelebaAttribute(key)) {
    if (TRUE.has(lower)) return { value: '1' };
    if (FALSE.has(lower)) return { value: '-1' };
    return { error: `expected 1 or -1 (or 1/0, true/false), got "${raw}"` };
  }
  let v: string | undefined;
  switch (key) {
    case 'age': {
      const n = /^\d{1,3}$/.test(t) ? Number(t) : NaN;
      if (n >= 0 && n <= MAX_AGE) return { value: String(n) };
      return { error: `expected an integer age from 0 to ${MAX_AGE}, got "${raw}"` };
    }
    case 'age_bucket':
      v = parseAgeBucket(t) ?? undefined;
      return v ? { value: v } : { error: `expected one of ${AGE_BUCKETS.join(', ')}, got "${raw}"` };
    case 'gender':
      v = genders.get(lower);
      return v ? { value: v } : { error: `expected Male or Female, got "${raw}"` };
    case 'race':
      v = races.get(lower);
      return v ? { value: v } : { error: `expected one of ${RACES.join(', ')}, got "${raw}"` };
    case 'expression':
      v = expressions.get(lower);
      return v ? { value: v } : { error: `expected one of ${EXPRESSIONS.join(', ')}, got "${raw}"` };
  }
}

const SPLITS = new Map([
  ['train', 'train'],
  ['val', 'val'],
  ['valid', 'val'],
  ['validation', 'val'],
  ['test', 'test'],
]);

/** train / val / test (`valid`, `validation` read as val), or null. */
export function normaliseSplit(raw: string): string | null {
  return SPLITS.get(raw.trim().toLowerCase()) ?? null;
}
