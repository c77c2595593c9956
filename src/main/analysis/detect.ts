// BlazeFace detection decoded as @vladmandic/human's blazeface.ts, plus a tile pyramid that finds small faces.
import { AppError } from '../../shared/errors';
import { cornerIou, sigmoid } from '../../shared/numeric';
import type { Raster } from './image-ops';
import type { AnalysisRuntime } from './runtime';

export const DETECTOR_SIZE = 256;
/** Values of one detector input (256 x 256 x RGB). */
const VIEW_SIZE = DETECTOR_SIZE * DETECTOR_SIZE * 3;
const KEYPOINTS = 6;

/** A detection in image pixels, before Human's enlarge-and-square step. */
export interface Detection {
  /** Box corners (x1, y1, x2, y2) as decoded from the anchor regression. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  /** The six keypoints: image-left eye, other eye, nose tip, mouth centre, image-left ear, other ear. */
  keypoints: [number, number][];
  /** 0 for the whole-image pass (Human's), k > 0 for tile pyramid level k. */
  level: number;
}

/** Human's crop box for the face models: centre and size from the detection, enlarged 1.4x, squared, rounded. */
export interface CropBox {
  startX: number;
  startY: number;
  endX: number;
  endY: number;
}

export interface DetectOptions {
  minConfidence: number;
  /** Human's NMS IoU threshold (0.1): boxes overlapping more than this are one face. */
  iouThreshold: number;
  maxFaces: number;
  /** Smallest face side (pixels) the tile pyramid should find; 0 turns tiling off. */
  minFaceSize: number;
  /**
   * Detector score a tile face needs. The pyramid shows the detector many more windows than the one whole-image
   * pass, and on the demo photos its 0.2 .. 0.45 detections were badges, hair and shoulders; faces score higher.
   */
  tileMinConfidence: number;
}

export const DEFAULT_DETECT: DetectOptions = {
  minConfidence: 0.2,
  iouThreshold: 0.1,
  maxFaces: 100,
  minFaceSize: 40,
  tileMinConfidence: 0.5,
};

/** Anchor centres in 256-pixel space: 16x16 cells x 2 at stride 16, then 8x8 cells x 6 at stride 32 (896). */
export const ANCHORS: readonly [number, number][] = (() => {
  const out: [number, number][] = [];
  for (const [stride, perCell] of [
    [16, 2],
    [32, 6],
  ] as const) {
    const cells = Math.floor((DETECTOR_SIZE + stride - 1) / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++) {
        for (let n = 0; n < perCell; n++) out.push([stride * (gx + 0.5), stride * (gy + 0.5)]);
      }
    }
  }
  return out;
})();

interface RawCandidate {
  box: [number, number, number, number];
  score: number;
  keypoints: [number, number][];
}

/** IoU of two corner boxes, as tfjs' NMS computes it. */
export const iou = cornerIou;

/** Greedy hard NMS with tfjs' semantics: score > threshold, highest first, drop when IoU >= iouThreshold. */
export function nonMaxSuppression(
  boxes: readonly (readonly number[])[],
  scores: readonly number[],
  maxOutput: number,
  iouThreshold: number,
  scoreThreshold: number,
): number[] {
  const order = scores
    .map((s, i) => ({ s, i }))
    .filter((c) => c.s > scoreThreshold)
    // tfjs pops the highest score first; on ties the lower index wins.
    .sort((a, b) => b.s - a.s || a.i - b.i);
  const kept: number[] = [];
  for (const { i } of order) {
    if (kept.length >= maxOutput) break;
    if (kept.some((k) => iou(boxes[i]!, boxes[k]!) >= iouThreshold)) continue;
    kept.push(i);
  }
  return kept;
}

/**
 * Runs blazeface on a batch of 256x256 inputs (already normalised to -1..1) and decodes every anchor as Human
 * does: outputs ordered 512 stride-16 anchors then 384 stride-32 ones; centre = anchor + offset; keypoints raw.
 */
async function runDetector(
  runtime: AnalysisRuntime,
  input: Float32Array,
  batch: number,
  minScore: number,
): Promise<RawCandidate[][]> {
  const out = await runtime.run('blazeface', {
    'input:0': { data: input, dims: [batch, DETECTOR_SIZE, DETECTOR_SIZE, 3] },
  });
  const get = (name: string): Float32Array => {
    const t = out[name];
    if (!t || !(t.data instanceof Float32Array)) {
      throw new AppError('model_error', `Model "blazeface" did not return "${name}" as float32`);
    }
    return t.data;
  };
  const s512 = get('Identity:0');
  const s384 = get('Identity_1:0');
  const r512 = get('Identity_2:0');
  const r384 = get('Identity_3:0');
  const result: RawCandidate[][] = [];
  for (let b = 0; b < batch; b++) {
    const items: RawCandidate[] = [];
    for (let i = 0; i < ANCHORS.length; i++) {
      const first = i < 512;
      const logit = first ? s512[b * 512 + i]! : s384[b * 384 + (i - 512)]!;
      const score = Math.fround(sigmoid(logit));
      // NMS only ever looks at scores above the threshold: decoding the other anchors (most of the 896) is waste.
      if (!(score > minScore)) continue;
      const regs = first ? r512 : r384;
      const off = first ? (b * 512 + i) * 16 : (b * 384 + (i - 512)) * 16;
      const [ax, ay] = ANCHORS[i]!;
      // float32 steps as Human's tensor ops take them (add, div by 256, div by 2, sub/add, mul by 256).
      const f = Math.fround;
      const cx = f(regs[off]! + ax);
      const cy = f(regs[off + 1]! + ay);
      const hw = f(f(regs[off + 2]! / DETECTOR_SIZE) / 2);
      const hh = f(f(regs[off + 3]! / DETECTOR_SIZE) / 2);
      const ncx = f(cx / DETECTOR_SIZE);
      const ncy = f(cy / DETECTOR_SIZE);
      const box: [number, number, number, number] = [
        f(f(ncx - hw) * DETECTOR_SIZE),
        f(f(ncy - hh) * DETECTOR_SIZE),
        f(f(ncx + hw) * DETECTOR_SIZE),
        f(f(ncy + hh) * DETECTOR_SIZE),
      ];
      const keypoints: [number, number][] = [];
      for (let k = 0; k < KEYPOINTS; k++) {
        keypoints.push([regs[off + 4 + 2 * k]! + ax, regs[off + 5 + 2 * k]! + ay]);
      }
      items.push({ box, score, keypoints });
    }
    result.push(items);
  }
  return result;
}

/** Image region fed to the detector (in image pixels) and the batch slot it went into. */
export interface View {
  x: number;
  y: number;
  w: number;
  h: number;
  level: number;
}

/** The detector input value of an 8-bit sample that no interpolation touches: v / 127.5 - 1 in float32 steps. */
const BYTE_INPUT = Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(v) / 127.5) - 1);

/**
 * Detector input for a region, written into `out` at `offset`: plain resize to 256x256 (aspect ratio not kept, as
 * Human does), then x / 127.5 - 1. One pass reading the image in place: the same float32 values as cutting the
 * region out, `resizeBilinear` and `affine` one after the other, without their intermediate arrays.
 */
export function writeViewInput(image: Raster, v: View, out: Float32Array, offset: number): void {
  const S = DETECTOR_SIZE;
  const c = image.channels;
  const data = image.data;
  const rowRatio = v.h / S;
  const colRatio = v.w / S;
  const colL = new Int32Array(S);
  const colR = new Int32Array(S);
  const colF = new Float64Array(S);
  for (let x = 0; x < S; x++) {
    const src = colRatio * x;
    const l = Math.max(0, Math.floor(src));
    colF[x] = src - l;
    colL[x] = (v.x + l) * c;
    colR[x] = (v.x + Math.min(v.w - 1, Math.ceil(src))) * c;
  }
  let o = offset;
  const bytes = data instanceof Uint8Array;
  for (let y = 0; y < S; y++) {
    const src = rowRatio * y;
    const top = Math.max(0, Math.floor(src));
    const rowFrac = src - top;
    const bottom = Math.min(v.h - 1, Math.ceil(src));
    const topOff = (v.y + top) * image.width * c;
    const botOff = (v.y + bottom) * image.width * c;
    if (c === 3 && bytes && rowFrac === 0) {
      // A row on a source row (every row of the default 512 and 1024 px tiles, 2x and 4x the detector's side).
      // The bottom row weighs 0, and where the column falls on a source pixel too the value is a table lookup.
      for (let x = 0; x < S; x++) {
        const tl = topOff + colL[x]!;
        const f = colF[x]!;
        if (f === 0) {
          out[o++] = BYTE_INPUT[data[tl]!]!;
          out[o++] = BYTE_INPUT[data[tl + 1]!]!;
          out[o++] = BYTE_INPUT[data[tl + 2]!]!;
          continue;
        }
        const tr = topOff + colR[x]!;
        for (let ch = 0; ch < 3; ch++) {
          const t = data[tl + ch]! + (data[tr + ch]! - data[tl + ch]!) * f;
          out[o++] = Math.fround(Math.fround(t) / 127.5) - 1;
        }
      }
      continue;
    }
    if (c === 3) {
      // The common case unrolled: 3 channels.
      for (let x = 0; x < S; x++) {
        const tl = topOff + colL[x]!;
        const tr = topOff + colR[x]!;
        const bl = botOff + colL[x]!;
        const br = botOff + colR[x]!;
        const f = colF[x]!;
        for (let ch = 0; ch < 3; ch++) {
          const t = data[tl + ch]! + (data[tr + ch]! - data[tl + ch]!) * f;
          const b = data[bl + ch]! + (data[br + ch]! - data[bl + ch]!) * f;
          // resizeBilinear stores float32, affine divides that value in float32 and subtracts 1.
          out[o++] = Math.fround(Math.fround(t + (b - t) * rowFrac) / 127.5) - 1;
        }
      }
      continue;
    }
    for (let x = 0; x < S; x++) {
      const l = colL[x]!;
      const r = colR[x]!;
      const f = colF[x]!;
      for (let ch = 0; ch < c; ch++) {
        const tl = data[topOff + l + ch]!;
        const tr = data[topOff + r + ch]!;
        const bl = data[botOff + l + ch]!;
        const br = data[botOff + r + ch]!;
        const t = tl + (tr - tl) * f;
        const b = bl + (br - bl) * f;
        out[o++] = Math.fround(Math.fround(t + (b - t) * rowFrac) / 127.5) - 1;
      }
    }
  }
}

/** The detector input of one region as its own array (see `writeViewInput`). */
export function viewInput(image: Raster, v: View): Float32Array {
  const out = new Float32Array(DETECTOR_SIZE * DETECTOR_SIZE * image.channels);
  writeViewInput(image, v, out, 0);
  return out;
}

/**
 * Tile pyramid for faces too small for the whole-image pass. Blazeface (back model) finds faces down to about 20 px
 * of its 256 input, so a face of `minFaceSize` needs tiles of at most ~12.8x that side. Level k uses square tiles
 * of T * 2^(k-1) with a quarter overlap: a face up to a quarter of the tile sits whole in some tile, and the next
 * level (twice the tile, twice the smallest face) covers the larger ones, up to the whole-image pass.
 */
export function tileViews(width: number, height: number, minFaceSize: number): View[] {
  if (minFaceSize <= 0) return [];
  const base = Math.max(DETECTOR_SIZE, Math.round(minFaceSize * 12.8));
  const views: View[] = [];
  let level = 1;
  for (let tile = base; tile < Math.max(width, height); tile *= 2, level++) {
    const t = Math.min(tile, width, height);
    const stride = Math.max(1, Math.floor((t * 3) / 4));
    const xs = positions(width, t, stride);
    const ys = positions(height, t, stride);
    for (const y of ys) for (const x of xs) views.push({ x, y, w: t, h: t, level });
  }
  return views;
}

function positions(total: number, tile: number, stride: number): number[] {
  if (tile >= total) return [0];
  const out: number[] = [];
  for (let p = 0; p + tile < total; p += stride) out.push(p);
  out.push(total - tile);
  return out;
}

/**
 * Detects faces. Pass 0 is Human's: the whole image at 256x256, NMS (IoU 0.1). Then, on images large enough for
 * faces of `minFaceSize` to vanish at that scale, the tile pyramid; a tile face is kept only where it overlaps no
 * face already found, so faces the whole-image pass finds keep Human's exact boxes.
 */
export async function detectFaces(
  runtime: AnalysisRuntime,
  image: Raster,
  opts: DetectOptions,
  signal?: AbortSignal,
): Promise<Detection[]> {
  const whole: View = { x: 0, y: 0, w: image.width, h: image.height, level: 0 };
  const tiles = tileViews(image.width, image.height, opts.minFaceSize);
  const BATCH = 8;
  const tileOpts = { ...opts, minConfidence: Math.max(opts.minConfidence, opts.tileMinConfidence) };
  // Every pass is requested at once (they are independent), so the runtime always has detector work queued while
  // this thread prepares the next input; the results are merged in pass order, as if run one after another.
  const passes = [detectViews(runtime, image, [whole], opts)];
  for (let i = 0; i < tiles.length; i += BATCH) {
    passes.push(detectViews(runtime, image, tiles.slice(i, i + BATCH), tileOpts));
  }
  const settled = await Promise.allSettled(passes);
  if (signal?.aborted) throw new AppError('cancelled', 'Analysis cancelled');
  const results = settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  const found = results[0]!;
  for (const pass of results.slice(1)) {
    for (const d of pass) {
      const box = [d.x1, d.y1, d.x2, d.y2];
      const overlapping = found.find((f) => iou(box, [f.x1, f.y1, f.x2, f.y2]) >= opts.iouThreshold);
      if (!overlapping) found.push(d);
      else if (overlapping.level > 0 && d.score > overlapping.score)
        found.splice(found.indexOf(overlapping), 1, d);
    }
  }
  return found.slice(0, opts.maxFaces);
}

async function detectViews(
  runtime: AnalysisRuntime,
  image: Raster,
  views: View[],
  opts: DetectOptions,
): Promise<Detection[]> {
  const size = VIEW_SIZE;
  // Its own array per pass: a runtime may keep its inputs (the benchmark records them by reference).
  const input = new Float32Array(views.length * size);
  views.forEach((v, k) => writeViewInput(image, v, input, k * size));
  const batches = await runDetector(runtime, input, views.length, opts.minConfidence);
  const out: Detection[] = [];
  views.forEach((v, k) => {
    const cands = batches[k]!;
    const keep = nonMaxSuppression(
      cands.map((c) => c.box),
      cands.map((c) => c.score),
      opts.maxFaces,
      opts.iouThreshold,
      opts.minConfidence,
    );
    const fx = v.w / DETECTOR_SIZE;
    const fy = v.h / DETECTOR_SIZE;
    for (const i of keep) {
      const c = cands[i]!;
      if (!(c.score > opts.minConfidence)) continue;
      out.push({
        x1: c.box[0] * fx + v.x,
        y1: c.box[1] * fy + v.y,
        x2: c.box[2] * fx + v.x,
        y2: c.box[3] * fy + v.y,
        score: c.score,
        keypoints: c.keypoints.map(([x, y]) => [x * fx + v.x, y * fy + v.y]),
        level: v.level,
      });
    }
  });
  return out;
}

/** Human's `enlargeBox(1.4)` then `squarifyBox`: the crop every face model reads. */
export function cropBoxOf(d: { x1: number; y1: number; x2: number; y2: number }, scale = 1.4): CropBox {
  const cx = d.x1 + (d.x2 - d.x1) / 2;
  const cy = d.y1 + (d.y2 - d.y1) / 2;
  const w = Math.abs(d.x2 - d.x1) * scale;
  const h = Math.abs(d.y2 - d.y1) * scale;
  // squarifyBox measures the enlarged box again from its corners.
  const ex1 = cx - w / 2;
  const ex2 = cx + w / 2;
  const ey1 = cy - h / 2;
  const ey2 = cy + h / 2;
  const scx = ex1 + (ex2 - ex1) / 2;
  const scy = ey1 + (ey2 - ey1) / 2;
  const half = Math.max(Math.abs(ex2 - ex1), Math.abs(ey2 - ey1)) / 2;
  return {
    startX: Math.round(scx - half),
    startY: Math.round(scy - half),
    endX: Math.round(scx + half),
    endY: Math.round(scy + half),
  };
}

/**
 * The most confident detection whose centre lies inside `box` (image pixels), searched in a window twice the box's
 * side around it, so a face filling its box is seen at a scale blazeface handles; null when there is none.
 */
export async function detectInRegion(
  runtime: AnalysisRuntime,
  image: Raster,
  box: { x: number; y: number; w: number; h: number },
  opts: DetectOptions,
): Promise<Detection | null> {
  const side = Math.round(2 * Math.max(box.w, box.h));
  const w = Math.min(side, image.width);
  const h = Math.min(side, image.height);
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  const x = Math.min(Math.max(0, Math.round(cx - w / 2)), image.width - w);
  const y = Math.min(Math.max(0, Math.round(cy - h / 2)), image.height - h);
  return bestInside(await detectViews(runtime, image, [{ x, y, w, h, level: 0 }], opts), box);
}

/** The most confident detection whose centre lies inside `box`, or null. */
export function bestInside(
  found: readonly Detection[],
  box: { x: number; y: number; w: number; h: number },
): Detection | null {
  const inside = found.filter((d) => {
    const dx = (d.x1 + d.x2) / 2;
    const dy = (d.y1 + d.y2) / 2;
    return dx >= box.x && dx <= box.x + box.w && dy >= box.y && dy <= box.y + box.h;
  });
  return inside.sort((a, b) => b.score - a.score)[0] ?? null;
}
