// The default rules over a generated CelebA-like table: every injected contradiction found, clean rows silent.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RuleSet } from '../../../../src/shared/rules';
import { INJECTIONS, celebaLikeTable } from './celeba-like';

const text = readFileSync(new URL('../../../../resources/rules/default.rules', import.meta.url), 'utf8');
const rules = RuleSet.fromText(text, { file: 'default.rules' });

describe('default rules on a CelebA-like table', () => {
  it('finds nothing on 20,000 consistent faces', () => {
    const { faces } = celebaLikeTable(20_000, 7);
    const found = faces.flatMap((f, i) =>
      rules.evaluateFace({ labels: f, areas: f.areas }, { fixes: false }).map((v) => `${i}:${v.ruleId}`),
    );
    expect(found).toEqual([]);
  });

  it('finds every injected contradiction, and only those', () => {
    const { faces, injected } = celebaLikeTable(20_000, 11, 37);
    expect(new Set(injected.map((x) => x.rule)).size).toBe(INJECTIONS.length);
    const found = faces.flatMap((f, i) =>
      rules
        .evaluateFace({ labels: f, areas: f.areas })
        .map((v) => ({ face: i, rule: v.ruleId, subject: v.subject })),
    );
    expect(found).toEqual(injected);
  });

  it('treats derived maps as silent on classes they cannot express', () => {
    const [v] = rules.evaluateFace({
      labels: { values: { Eyeglasses: 1, Wearing_Hat: 1, Wearing_Earrings: 1, Wearing_Necklace: 1 } },
      areas: { source: 'derived', classes: ['skin', 'hair', 'mouth'], fraction: { skin: 0.3, hair: 0.2 } },
    });
    expect(v).toBeUndefined();
  });

  it('names the label-vs-model contradictions the default rules exist for', () => {
    const v = rules.evaluateFace({
      labels: { values: { Male: -1, Young: 1, Smiling: -1 } },
      predictions: { values: { gender: 'Male', age: 58, expression: 'happy' }, confidence: { gender: 0.97 } },
    });
    expect(v.map((x) => `${x.subject}:${x.ruleId}`)).toEqual([
      'cross:male-gender',
      'cross:young-not-over-50',
      'cross:happy-smiling',
    ]);
  });
});
