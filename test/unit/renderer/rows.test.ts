// The checklist's categorical fields: which values their picker lists (1-9) and which typed ages are accepted.
import { describe, expect, it } from 'vitest';
import { FIELD_KEYS, fieldChoices, parseAge } from '../../../src/renderer/src/lib/components/review/rows';

describe('field editors', () => {
  it('lists every field but age as a picker of at most 9 values, and age_bucket is a row', () => {
    expect(FIELD_KEYS).toEqual(['gender', 'age', 'age_bucket', 'race', 'expression']);
    expect(fieldChoices('gender')).toEqual(['Male', 'Female']);
    expect(fieldChoices('race')).toContain('Indian');
    expect(fieldChoices('expression')).toContain('happy');
    expect(fieldChoices('age_bucket')?.[0]).toBe('0-2');
    for (const k of ['gender', 'age_bucket', 'race', 'expression']) {
      expect(fieldChoices(k)!.length, k).toBeLessThanOrEqual(9);
    }
    expect(fieldChoices('age')).toBeNull();
    expect(fieldChoices('Smiling')).toBeNull();
  });

  it('accepts whole years from 0 to 120 only', () => {
    expect(parseAge(' 34 ')).toBe(34);
    expect(parseAge('0')).toBe(0);
    expect(parseAge('120')).toBe(120);
    for (const bad of ['121', '500', '-3', '3.5', '', 'abc', '1e2']) expect(parseAge(bad), bad).toBeNull();
  });
});
