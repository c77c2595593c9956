// Identity tools: same-identity clusters from mobilefacenet embeddings, duplicate images, split leakage.
import type { IdentityFace, IdentityReport } from '../../shared/api';
import type { Store } from '../store/index';
import { loadEmbeddings } from './data';

/**
 * Defaults measured on the face-api demo photos plus a 60 % resized copy of sample1 (the identity test):
 * mobilefacenet vectors share a large common component (raw cosine ≥ 0.999 between any two faces there), so
 * identity compares them after subtracting the dataset mean: the same face and its resized copy score
 * 0.985–0.995, different people at most 0.85 (0.83 inside sample1). Near-identical images use the faceres
 * descriptor, where the same face across the copy scores ≥ 0.985 and different people ≤ 0.66.
 */
export const IDENTITY_THRESHOLD = 0.9;
export const DUPLICATE_THRESHOLD = 0.95;

/** Union-find with path halving; `union` links the larger root index under the smaller. */
export class DisjointSet {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n).map((_, i) => i);
  }
  find(i: number): number {
    const p = this.parent;
    while (p[i] !== i) {
      p[i] = p[p[i]!]!;
      i = p[i]!;
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/** Subtracts the column mean (when `center`) and L2-normalises each row of an n × d matrix, in place. */
function normalise(x: Float32Array, n: number, d: number, center: boolean): void {
  if (center && n > 1) {
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j]! -= mean[j]!;
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) x[i * d + j]! *= inv;
  }
}

/** Calls `fn(a, b, cosine)` for every pair of rows above `threshold`. O(n²·d): fine for tens of thousands. */
function pairsAbove(
  x: Float32Array,
  n: number,
  d: number,
  threshold: number,
  fn: (a: number, b: number, cosine: number) => void,
): void {
  for (let a = 0; a < n; a++) {
    const oa = a * d;
    for (let b = a + 1; b < n; b++) {
      const ob = b * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += x[oa + j]! * x[ob + j]!;
      if (s > threshold) fn(a, b, s);
    }
  }
}

/** Cluster root per row: single linkage, any pair above `threshold` (cosine after centring) joins two clusters. */
export function clusterEmbeddings(x: Float32Array, n: number, d: number, threshold: number): Int32Array {
  normalise(x, n, d, true);
  const ds = new DisjointSet(n);
  pairsAbove(x, n, d, threshold, (a, b) => ds.union(a, b));
  return new Int32Array(n).map((_, i) => ds.find(i));
}

/** Pairs of rows whose plain cosine is above `threshold`. */
export function nearPairs(
  x: Float32Array,
  n: number,
  d: number,
  threshold: number,
): { a: number; b: number; cosine: number }[] {
  normalise(x, n, d, false);
  const out: { a: number; b: number; cosine: number }[] = [];
  pairsAbove(x, n, d, threshold, (a, b, cosine) => out.push({ a, b, cosine }));
  return out;
}

export function identityReport(
  store: Store,
  datasetId: number,
  threshold = IDENTITY_THRESHOLD,
  duplicateThreshold = DUPLICATE_THRESHOLD,
): IdentityReport {
  const table = loadEmbeddings(store, datasetId, 'mobilefacenet');
  const info = new Map(store.learning.faceImages(datasetId).map((f) => [f.faceId, f]));
  const face = (faceId: number): IdentityFace => {
    const f = info.get(faceId);
    return { faceId, imageId: f?.imageId ?? 0, relPath: f?.relPath ?? '', split: f?.split ?? null };
  };
  const n = table.faceIds.length;
  const roots = clusterEmbeddings(table.x, n, table.d, threshold);
  const desc = loadEmbeddings(store, datasetId, 'faceres');
  const pairs = nearPairs(desc.x, desc.faceIds.length, desc.d, duplicateThreshold);
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) members.set(roots[i]!, [...(members.get(roots[i]!) ?? []), i]);
  const clusters = [...members.values()]
    .filter((m) => m.length > 1)
    .map((m, c) => ({ id: c + 1, faces: m.map((i) => face(table.faceIds[i]!)) }));
  const leakage = clusters.flatMap((c) => {
    const splits = [...new Set(c.faces.map((f) => f.split).filter((s): s is string => s !== null))].sort();
    return splits.length > 1 ? [{ clusterId: c.id, splits, faces: c.faces }] : [];
  });
  const nearDuplicates = pairs
    .map((p) => ({ a: face(desc.faceIds[p.a]!), b: face(desc.faceIds[p.b]!), cosine: p.cosine }))
    .filter((p) => p.a.imageId !== p.b.imageId)
    .sort((p, q) => q.cosine - p.cosine);
  const paths = new Map([...info.values()].map((f) => [f.imageId, f.relPath]));
  const sameBytes = store.learning.sameBytes(datasetId).map((g) => ({
    sha256: g.sha256,
    images: g.imageIds.map((imageId) => ({ imageId, relPath: paths.get(imageId) ?? '' })),
  }));
  return { faces: n, threshold, duplicateThreshold, clusters, sameBytes, nearDuplicates, leakage };
}
