// The fixes a face's violations offer, as the panel's buttons and the `x` picker list them (plain data, testable).
import type { FixChange, ViolationEntry } from '@shared/api';
import { showValue } from '../components/review/rows';

/** One fix the picker lists: the violation it repairs and its label changes. */
export interface FixOption {
  ruleKey: string;
  changes: FixChange[];
  text: string;
}

export const fixText = (changes: FixChange[]): string =>
  changes.map((c) => `${c.key.replaceAll('_', ' ')} → ${showValue(c.key, c.to)}`).join(', ');

/** Every stored fix of the face's violations, whatever their subject, cheapest first within a rule; no repeats. */
export function fixOptions(violations: ViolationEntry[]): FixOption[] {
  const out: FixOption[] = [];
  for (const v of violations)
    for (const f of v.fixes) {
      const text = fixText(f.changes);
      if (f.changes.length === 0 || out.some((o) => o.text === text)) continue;
      out.push({ ruleKey: v.ruleKey, changes: f.changes, text });
    }
  return out.slice(0, 9);
}
