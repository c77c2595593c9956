// Inter-reviewer agreement and the double-review share: Cohen's kappa on known tables, the per-face choice.
import { describe, expect, it } from 'vitest';
import { cohenKappa, isDoubled, reviewerAgreement } from '../../../../src/main/review/team';

const table = (cells: [string, string, number][]) =>
  cells.flatMap(([a, b, n]) => Array.from({ length: n }, () => [a, b] as [string, string]));

describe("Cohen's kappa", () => {
  it('gives 0.4 on the textbook 2x2 table (20 / 5 / 10 / 15)', () => {
    const r = cohenKappa(
      table([
        ['y', 'y', 20],
        ['y', 'n', 5],
        ['n', 'y', 10],
        ['n', 'n', 15],
      ]),
    );
    expect(r.n).toBe(50);
    expect(r.observed).toBeCloseTo(0.7, 12);
    expect(r.kappa).toBeCloseTo(0.4, 12);
  });

  it('handles three classes, perfect agreement and no variation', () => {
    // p_o = 0.6; marginals a = (0.4, 0.3, 0.3), b = (0.4, 0.4, 0.2): p_e = 0.16 + 0.12 + 0.06 = 0.34.
    const three = table([
      ['a', 'a', 3],
      ['a', 'b', 1],
      ['b', 'b', 2],
      ['b', 'c', 1],
      ['c', 'c', 1],
      ['c', 'a', 1],
      ['a', 'b', 0],
      ['b', 'a', 0],
      ['c', 'b', 1],
    ]);
    expect(cohenKappa(three).kappa).toBeCloseTo((0.6 - 0.34) / 0.66, 12);
    expect(
      cohenKappa(
        table([
          ['1', '1', 3],
          ['-1', '-1', 2],
        ]),
      ).kappa,
    ).toBe(1);
    expect(cohenKappa(table([['1', '1', 4]]))).toEqual({ n: 4, observed: 1, kappa: null });
    expect(cohenKappa([])).toEqual({ n: 0, observed: null, kappa: null });
  });

  it("pairs the first two people's latest decisions per face and ignores skips", () => {
    const ev = (faceId: number, actor: string, status: string, Smiling: string) => ({
      faceId,
      actor,
      status,
      labels: { Smiling },
      at: 0,
    });
    const r = reviewerAgreement([
      ev(1, 'a', 'reviewed', '1'),
      ev(1, 'b', 'skipped', '-1'),
      ev(1, 'b', 'reviewed', '1'),
      ev(1, 'c', 'reviewed', '-1'),
      ev(2, 'a', 'reviewed', '1'),
      ev(2, 'a', 'reviewed', '-1'),
      ev(2, 'b', 'flagged', '1'),
      ev(3, 'a', 'reviewed', '1'),
    ]);
    expect(r.faces).toBe(2);
    expect(r.reviewers).toEqual(['a', 'b']);
    expect(r.attributes).toEqual([{ key: 'Smiling', n: 2, observed: 0.5, kappa: 0 }]);
  });
});

describe('double-review share', () => {
  it('picks about the share of faces, the same ones every time, and only adds faces as it grows', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const at = (s: number) => ids.filter((id) => isDoubled(id, s));
    expect(at(0)).toEqual([]);
    expect(at(1)).toHaveLength(10_000);
    const tenth = at(0.1);
    expect(tenth.length).toBeGreaterThan(900);
    expect(tenth.length).toBeLessThan(1100);
    expect(at(0.1)).toEqual(tenth);
    const third = new Set(at(0.33));
    expect(tenth.every((id) => third.has(id))).toBe(true);
  });
});
