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

/**
 * Intersection over union of two corner boxes `[x1, y1, x2, y2]` (corners in either order), with tfjs' NMS
 * semantics: 0 when either box has no area.
 */
export function cornerIou(a: readonly number[], b: readonly number[]): number {
  const [ax1, ay1, ax2, ay2] = [
    Math.min(a[0]!, a[2]!),
    Math.min(a[1]!, a[3]!),
    Math.max(a[0]!, a[2]!),
    Math.max(a[1]!, a[3]!),
  ];
  const [bx1, by1, bx2, by2] = [
    Math.min(b[0]!, b[2]!),
    Math.min(b[1]!, b[3]!),
    Math.max(b[0]!, b[2]!),
    Math.max(b[1]!, b[3]!),
  ];
  const areaA = (ax2 - ax1) * (ay2 - ay1);
  const areaB = (bx2 - bx1) * (by2 - by1);
  if (areaA <= 0 || areaB <= 0) return 0;
  const inter =
    Math.max(Math.min(ay2, by2) - Math.max(ay1, by1), 0) *
    Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1), 0);
  return inter / (areaA + areaB - inter);
}
