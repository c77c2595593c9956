// The fixes `x` and the violation panel offer: every subject, in the order main stored them, no repeats, at most 9.
import { describe, expect, it } from 'vitest';
import type { ViolationEntry } from '../../../src/shared/api';
import { fixOptions, fixText } from '../../../src/renderer/src/lib/state/fixes';

const violation = (
  ruleKey: string,
  subject: ViolationEntry['subject'],
  fixes: [string, string | number, string | number][][],
): ViolationEntry => ({
  id: ruleKey.length,
  faceId: 1,
  imageId: 1,
  relPath: 'a.jpg',
  ruleKey,
  severity: 'error',
  subject,
  explanation: '',
  rationale: null,
  values: [],
  fixes: fixes.map((changes, i) => ({
    changes: changes.map(([key, from, to]) => ({ key, from, to })),
    cost: i + 1,
  })),
});

describe('fixOptions', () => {
  it('lists the fixes of label-vs-prediction and label-vs-mask violations, not only label-vs-label ones', () => {
    const options = fixOptions([
      violation('male-gender', 'cross', [[['Male', 1, -1]], [['gender', 'Female', 'Male']]]),
      violation('happy-smiling', 'predictions', [[['Smiling', -1, 1]]]),
    ]);
    expect(options.map((o) => [o.ruleKey, o.text])).toEqual([
      ['male-gender', 'Male → no'],
      ['male-gender', 'gender → Male'],
      ['happy-smiling', 'Smiling → yes'],
    ]);
  });

  it('lists a fix two rules share once, skips empty fixes and stops at nine', () => {
    const options = fixOptions([
      violation('bald-no-bangs', 'labels', [[['Bald', 1, -1]], [['Bangs', 1, -1]], []]),
      violation('bald-not-wavy', 'labels', [[['Bald', 1, -1]], [['Wavy_Hair', 1, -1]]]),
    ]);
    expect(options.map((o) => o.text)).toEqual(['Bald → no', 'Bangs → no', 'Wavy Hair → no']);
    const many = Array.from({ length: 12 }, (_, i) => [[`A${i}`, 1, -1]] as [string, number, number][]);
    expect(fixOptions([violation('r', 'labels', many)])).toHaveLength(9);
  });

  it('writes a fix of several changes as one line', () => {
    expect(
      fixText([
        { key: 'Bald', from: 1, to: -1 },
        { key: 'Gray_Hair', from: -1, to: 1 },
      ]),
    ).toBe('Bald → no, Gray Hair → yes');
  });
});
