// Generated embeddings with known linear attribute structure (and optional mutually exclusive attributes).
import { mulberry32 as rng } from '../../../../src/shared/numeric';

export interface Synthetic {
  x: Float32Array;
  y: Int8Array;
  n: number;
  d: number;
  keys: string[];
}

function gauss(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Each attribute c is sign(x · u_c + t_c) with a random unit direction u_c and a threshold t_c that sets its
 * prevalence (10–50 %); x is standard normal with a non-zero mean and scale per feature, like a raw
 * descriptor. `flip` randomly flips that share of labels (label noise).
 */
export function linearAttributes(n: number, d: number, keys: string[], seed = 1, flip = 0): Synthetic {
  const rand = rng(seed);
  const k = keys.length;
  const u = new Float32Array(k * d);
  for (let c = 0; c < k; c++) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const v = gauss(rand);
      u[c * d + j] = v;
      norm += v * v;
    }
    for (let j = 0; j < d; j++) u[c * d + j]! /= Math.sqrt(norm);
  }
  const offset = new Float32Array(d).map(() => gauss(rand) * 2);
  const scale = new Float32Array(d).map(() => 0.5 + rand() * 2);
  // Prevalence between 10 % and 50 %: threshold = normal quantile, approximated linearly on that range.
  const t = new Float32Array(k).map(() => 0.25 + rand() * 1.0);
  const x = new Float32Array(n * d);
  const y = new Int8Array(n * k);
  const z = new Float32Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      z[j] = gauss(rand);
      x[i * d + j] = offset[j]! + scale[j]! * z[j]!;
    }
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += z[j]! * u[c * d + j]!;
      let v = s > t[c]! ? 1 : -1;
      if (flip > 0 && rand() < flip) v = -v;
      y[i * k + c] = v;
    }
  }
  return { x, y, n, d, keys };
}

/**
 * Contradiction-prone data for `A -> !B`-style rules: `a` and `b` never hold together in the labels, both are
 * rare (~12 %), and the embedding tells them apart only weakly (their directions share most of their signal),
 * so balanced class weights push both heads above 0.5 on the same ambiguous faces.
 */
export function exclusivePair(n: number, d: number, seed = 3): Synthetic {
  const rand = rng(seed);
  const common = new Float32Array(d).map(() => gauss(rand) / Math.sqrt(d));
  const da = new Float32Array(d).map(() => gauss(rand) / Math.sqrt(d));
  const db = new Float32Array(d).map(() => gauss(rand) / Math.sqrt(d));
  const x = new Float32Array(n * d);
  const y = new Int8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const r = rand();
    const cls = r < 0.12 ? 0 : r < 0.24 ? 1 : 2;
    for (let j = 0; j < d; j++) {
      let v = gauss(rand);
      if (cls < 2) v += 1.6 * common[j]! * Math.sqrt(d) * 0.12;
      if (cls === 0) v += 0.35 * da[j]! * Math.sqrt(d) * 0.12;
      if (cls === 1) v += 0.35 * db[j]! * Math.sqrt(d) * 0.12;
      x[i * d + j] = v;
    }
    y[i * 2] = cls === 0 ? 1 : -1;
    y[i * 2 + 1] = cls === 1 ? 1 : -1;
  }
  return { x, y, n, d, keys: ['Bald', 'Bangs'] };
}

/**
 * Flips one random attribute on `share` of the rows (in place), like a dataset with one wrong label on some faces;
 * returns the flipped rows with the attribute column and the label the row had before.
 */
export function plantFlips(
  data: Synthetic,
  share: number,
  seed = 9,
): { row: number; col: number; truth: number }[] {
  const rand = rng(seed);
  const k = data.keys.length;
  const out: { row: number; col: number; truth: number }[] = [];
  for (let i = 0; i < data.n; i++) {
    if (rand() >= share) continue;
    const col = Math.floor(rand() * k);
    const truth = data.y[i * k + col]!;
    data.y[i * k + col] = -truth as -1 | 1;
    out.push({ row: i, col, truth });
  }
  return out;
}
