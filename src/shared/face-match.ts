// Which detection an imported face stands for: one face per real face whether it came from a file or a detector.
import { cornerIou } from './numeric';

export interface MatchBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Intersection over union of two boxes (0 when either has no area). */
export function iou(a: MatchBox, b: MatchBox): number {
  return cornerIou([a.x, a.y, a.x + a.w, a.y + a.h], [b.x, b.y, b.x + b.w, b.y + b.h]);
}

/** An imported face's box and a detection's overlap at least this much to be the same face. */
export const MATCH_IOU = 0.4;

/** Share of the image a box must cover to stand for "the whole image" (aligned crops: the file gives no box). */
const WHOLE_IMAGE = 0.9;

export interface ImageSize {
  width: number | null;
  height: number | null;
}

/**
 * True for an imported face without a box of its own: no area (image size unknown at import), or a box that
 * covers the whole image (CelebA's aligned crops, UTKFace: the import writes the image's bounds).
 */
export function coversImage(box: MatchBox, image: ImageSize): boolean {
  if (!(box.w > 0 && box.h > 0)) return true;
  const { width, height } = image;
  if (!width || !height) return false;
  const w = Math.min(box.x + box.w, width) - Math.max(box.x, 0);
  const h = Math.min(box.y + box.h, height) - Math.max(box.y, 0);
  return w > 0 && h > 0 && w * h >= WHOLE_IMAGE * width * height;
}

/** Larger and nearer the image centre is more prominent: area × (1 − centre distance / half diagonal). */
function prominence(b: MatchBox, image: ImageSize): number {
  const area = b.w * b.h;
  if (!image.width || !image.height) return area;
  const dx = b.x + b.w / 2 - image.width / 2;
  const dy = b.y + b.h / 2 - image.height / 2;
  const half = Math.hypot(image.width, image.height) / 2;
  return area * Math.max(0, 1 - Math.hypot(dx, dy) / half);
}

/**
 * Pairs imported faces with detections, one to one: for each imported face the index of its detection, or -1.
 * A face with a box of its own takes the detection that overlaps it most (IoU ≥ MATCH_IOU, best pairs first).
 * When exactly one imported face of the image has no box of its own (it covers the whole image), it takes the
 * most prominent detection left (largest, most central): an aligned crop's labels describe its main face.
 */
export function matchImported(
  imported: readonly MatchBox[],
  detections: readonly MatchBox[],
  image: ImageSize,
): number[] {
  const out = imported.map(() => -1);
  const taken = new Set<number>();
  const whole = imported.map((b) => coversImage(b, image));
  const pairs: { i: number; d: number; v: number }[] = [];
  imported.forEach((b, i) => {
    if (whole[i]) return;
    detections.forEach((d, j) => {
      const v = iou(b, d);
      if (v >= MATCH_IOU) pairs.push({ i, d: j, v });
    });
  });
  pairs.sort((a, b) => b.v - a.v || a.i - b.i || a.d - b.d);
  for (const p of pairs) {
    if (out[p.i] !== -1 || taken.has(p.d)) continue;
    out[p.i] = p.d;
    taken.add(p.d);
  }
  const wholeIdx = whole.flatMap((w, i) => (w ? [i] : []));
  if (wholeIdx.length === 1) {
    let best = -1;
    let bestScore = -1;
    detections.forEach((d, j) => {
      const s = prominence(d, image);
      if (!taken.has(j) && s > bestScore) [best, bestScore] = [j, s];
    });
    if (best >= 0) out[wholeIdx[0]!] = best;
  }
  return out;
}
