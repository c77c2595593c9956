// Small numeric helpers shared by the pipeline, the learned heads and the exports: one copy of each.

/** The logistic function, stable for large |z| (never exp of a large positive number). */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** mulberry32: a small seeded generator in [0, 1), so folds, shuffles and sampled texts repeat run to run. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed mixed with a string key (e.g. a face's path), so each key gets its own stream from one seed. */
export function keyedSeed(seed: number, key: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 2654435761) >>> 0;
  return h;
}
