// Attribute co-occurrence statistics over ±1/0 rows (p_ij = m_ij / n_i) and a face's unusual-combination score.
import type { FaceFacts } from './compile';

/**
 * Counts over a table of faces × attributes. Rows are row-major Int8Array cells: +1 present, -1 absent,
 * 0 unknown. `known[i*k+j]` is the number of faces with i present and j known: it equals n_i on a complete
 * table, and keeps p_ij honest when some labels are missing.
 */
export interface Cooccurrence {
  keys: readonly string[];
  faces: number;
  /** n_i: faces with attribute i present. */
  n: Int32Array;
  /** m_ij: faces with both i and j present (symmetric; the diagonal is n_i). */
  m: Int32Array;
  /** Faces with i present and j known (the denominator of p_ij). */
  known: Int32Array;
}

export function cooccurrence(rows: Int8Array, keys: readonly string[]): Cooccurrence {
  const k = keys.length;
  const faces = k === 0 ? 0 : Math.floor(rows.length / k);
  const n = new Int32Array(k);
  const m = new Int32Array(k * k);
  const unknownGivenPos = new Int32Array(k * k);
  const pos = new Int32Array(k);
  const unk = new Int32Array(k);
  for (let f = 0; f < faces; f++) {
    const base = f * k;
    let np = 0;
    let nu = 0;
    for (let j = 0; j < k; j++) {
      const x = rows[base + j]!;
      if (x > 0) pos[np++] = j;
      else if (x === 0) unk[nu++] = j;
    }
    for (let a = 0; a < np; a++) {
      const i = pos[a]!;
      n[i]!++;
      const row = i * k;
      for (let b = 0; b < np; b++) m[row + pos[b]!]!++;
      for (let b = 0; b < nu; b++) unknownGivenPos[row + unk[b]!]!++;
    }
  }
  const known = new Int32Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) known[i * k + j] = n[i]! - unknownGivenPos[i * k + j]!;
  return { keys, faces, n, m, known };
}

/** p_ij = P(j present | i present), NaN when no face has i present with j known. */
export function conditional(c: Cooccurrence, i: number, j: number): number {
  const k = c.keys.length;
  const d = c.known[i * k + j]!;
  return d === 0 ? NaN : c.m[i * k + j]! / d;
}

/** The k×k matrix of p_ij, row-major (for the heatmap). */
export function probabilityMatrix(c: Cooccurrence): Float64Array {
  const k = c.keys.length;
  const p = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) p[i * k + j] = conditional(c, i, j);
  return p;
}

export interface UnusualPair {
  /** The smallest p_ij over the face's positive pairs with enough support. */
  p: number;
  i: number;
  j: number;
  /** known_ij: faces the estimate rests on. */
  support: number;
}

/**
 * A face's rarest positive pair: min over ordered pairs (i, j) both present of p_ij, counting only pairs
 * whose estimate rests on at least `minSupport` faces (default 30). Null when no pair qualifies.
 */
export function unusualCombination(
  c: Cooccurrence,
  row: ArrayLike<number>,
  minSupport = 30,
): UnusualPair | null {
  const k = c.keys.length;
  let best: UnusualPair | null = null;
  for (let i = 0; i < k; i++) {
    if (!(row[i]! > 0)) continue;
    for (let j = 0; j < k; j++) {
      if (j === i || !(row[j]! > 0)) continue;
      const d = c.known[i * k + j]!;
      if (d < minSupport) continue;
      const p = c.m[i * k + j]! / d;
      if (best === null || p < best.p) best = { p, i, j, support: d };
    }
  }
  return best;
}

/** unusualCombination's p for every row of a table (NaN where no pair qualifies), for gallery sorting. */
export function unusualScores(c: Cooccurrence, rows: Int8Array, minSupport = 30): Float64Array {
  const k = c.keys.length;
  const faces = k === 0 ? 0 : Math.floor(rows.length / k);
  const out = new Float64Array(faces);
  for (let f = 0; f < faces; f++) {
    const u = unusualCombination(c, rows.subarray(f * k, f * k + k), minSupport);
    out[f] = u ? u.p : NaN;
  }
  return out;
}

/** Packs faces' binary attribute values into a row-major ±1/0 table over `keys`. */
export function rowsFromFacts(faces: readonly FaceFacts[], keys: readonly string[]): Int8Array {
  const k = keys.length;
  const rows = new Int8Array(faces.length * k);
  faces.forEach((f, r) => {
    for (let j = 0; j < k; j++) {
      const v = f.values[keys[j]!];
      rows[r * k + j] = v === 1 ? 1 : v === -1 ? -1 : 0;
    }
  });
  return rows;
}
