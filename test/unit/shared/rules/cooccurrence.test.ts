// Co-occurrence counts and p_ij on a hand-computed table; unusual-combination scores with minimum support.
import { describe, expect, it } from 'vitest';
import {
  conditional,
  cooccurrence,
  probabilityMatrix,
  rowsFromFacts,
  unusualCombination,
  unusualScores,
} from '../../../../src/shared/rules';

// Five faces over A, B, C (1 present, -1 absent, 0 unknown):
//   f1: + + -   f2: + - -   f3: + + +   f4: - + +   f5: + 0 -
const keys = ['A', 'B', 'C'];
const rows = Int8Array.from([1, 1, -1, 1, -1, -1, 1, 1, 1, -1, 1, 1, 1, 0, -1]);

describe('co-occurrence', () => {
  const c = cooccurrence(rows, keys);

  it('counts n_i and symmetric m_ij by hand', () => {
    expect(c.faces).toBe(5);
    expect([...c.n]).toEqual([4, 3, 2]);
    // m: A&B = f1,f3; A&C = f3; B&C = f3,f4.
    expect([...c.m]).toEqual([4, 2, 1, 2, 3, 2, 1, 2, 2]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(c.m[i * 3 + j]).toBe(c.m[j * 3 + i]);
  });

  it('gives asymmetric p_ij = m_ij / (faces with i present and j known)', () => {
    // P(B | A): A present in f1, f2, f3, f5, but B is unknown in f5, so 2 / 3.
    expect(conditional(c, 0, 1)).toBeCloseTo(2 / 3);
    expect(conditional(c, 1, 0)).toBeCloseTo(2 / 3);
    expect(conditional(c, 0, 2)).toBeCloseTo(1 / 4);
    expect(conditional(c, 2, 0)).toBeCloseTo(1 / 2);
    const p = probabilityMatrix(c);
    expect(p[0 * 3 + 2]).not.toBeCloseTo(p[2 * 3 + 0]!);
    expect(p[4]).toBe(1);
    expect(c.known[0 * 3 + 1]).toBe(3);
    expect(c.known[0 * 3 + 2]).toBe(4);
  });

  it('equals m_ij / n_i on a complete table', () => {
    const full = cooccurrence(Int8Array.from([1, 1, 1, -1, 1, 1, -1, -1]), ['A', 'B']);
    expect(conditional(full, 0, 1)).toBe(full.m[1]! / full.n[0]!);
    expect(conditional(full, 1, 0)).toBe(full.m[2]! / full.n[1]!);
  });

  it('scores a face by its rarest positive pair with enough support', () => {
    expect(unusualCombination(c, [1, 1, 1], 1)).toEqual({ p: 0.25, i: 0, j: 2, support: 4 });
    expect(unusualCombination(c, [1, 1, 1], 3)).toEqual({ p: 0.25, i: 0, j: 2, support: 4 });
    expect(unusualCombination(c, [1, 1, 1], 5)).toBeNull();
    expect(unusualCombination(c, [1, -1, -1], 1)).toBeNull();
    expect([...unusualScores(c, rows, 1)].map((x) => (Number.isNaN(x) ? null : x))).toEqual([
      2 / 3,
      null,
      0.25,
      2 / 3,
      null,
    ]);
  });

  it('packs face facts into ±1/0 rows', () => {
    expect([...rowsFromFacts([{ values: { A: 1, C: -1 } }, { values: { B: 1 } }], keys)]).toEqual([
      1, 0, -1, 0, 1, 0,
    ]);
  });
});
