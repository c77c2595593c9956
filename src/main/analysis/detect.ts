// BlazeFace detection decoded as @vladmandic/human's blazeface.ts, plus scaled whole-image passes for small faces.
import { AppError } from '../../shared/errors';
import { cornerIou, sigmoid } from '../../shared/numeric';
import type { Raster } from './image-ops';
import type { AnalysisRuntime } from './runtime';

export const DETECTOR_SIZE = 256;
const KEYPOINTS = 6;
/** Smallest face side (detector pixels) blazeface finds reliably. */
const MIN_DETECTED = 20;
/** Largest side (detector pixels) of one small-face run, and the overlap of neighbouring runs: a face of up to 128
 * detector pixels lies whole in one of them (larger ones are the coarser passes' work). */
const CHUNK = 1024;
const CHUNK_OVERLAP = 256;
/** The small-face passes' sizes are multiples of the detector's coarsest stride, so its anchor grid fits exactly. */
const STRIDE = 32;

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
  /** 0 for the whole-image pass (Human's), k > 0 for small-face pass k (each half the scale of the one before). */
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
  /** Smallest face side (pixels) the small-face passes should find; 0 turns them off. */
  minFaceSize: number;
  /**
   * Detector score a small-face pass's face needs. Those passes show the detector much more of the image at a
   * larger scale than the one whole-image pass, and on the demo photos their 0.2 .. 0.45 detections were badges,
   * hair and shoulders; faces score higher.
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

/**
 * Anchor centres in input pixels for an input of height x width (multiples of 32): (h/16 x w/16) cells x 2 at
 * stride 16, then (h/32 x w/32) cells x 6 at stride 32, row by row, as the graph's outputs are ordered. At 256 x
 * 256: 512 + 384 = 896.
 */
export function anchorsFor(height: number, width: number): { first: number; centres: [number, number][] } {
  const centres: [number, number][] = [];
  let first = 0;
  for (const [stride, perCell] of [
    [16, 2],
    [32, 6],
  ] as const) {
    const rows = Math.floor((height + stride - 1) / stride);
    const cols = Math.floor((width + stride - 1) / stride);
    for (let gy = 0; gy < rows; gy++) {
      for (let gx = 0; gx < cols; gx++) {
        for (let n = 0; n < perCell; n++) centres.push([stride * (gx + 0.5), stride * (gy + 0.5)]);
      }
    }
    if (stride === 16) first = centres.length;
  }
  return { first, centres };
}

const anchorCache = new Map<string, ReturnType<typeof anchorsFor>>();
function cachedAnchors(height: number, width: number): ReturnType<typeof anchorsFor> {
  const key = `${height}x${width}`;
  let a = anchorCache.get(key);
  if (!a) anchorCache.set(key, (a = anchorsFor(height, width)));
  return a;
}

/** The 896 anchors of the 256 x 256 input, Human's. */
export const ANCHORS: readonly [number, number][] = anchorsFor(DETECTOR_SIZE, DETECTOR_SIZE).centres;

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
 * Runs blazeface on a batch of inputs of one size (already normalised to -1..1) and decodes every anchor as Human
 * does: outputs ordered stride-16 anchors then stride-32 ones; centre = anchor + offset; keypoints raw. The
 * regression is in input pixels whatever the input's size (the graph is fully convolutional).
 */
async function runDetector(
  runtime: AnalysisRuntime,
  input: Float32Array,
  batch: number,
  size: { outW: number; outH: number },
  minScore: number,
): Promise<RawCandidate[][]> {
  const out = await runtime.run('blazeface', {
    'input:0': { data: input, dims: [batch, size.outH, size.outW, 3] },
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
  const { first: n16, centres } = cachedAnchors(size.outH, size.outW);
  const n32 = centres.length - n16;
  if (s512.length !== batch * n16 || s384.length !== batch * n32) {
    throw new AppError(
      'model_error',
      `Model "blazeface" returned ${s512.length} + ${s384.length} scores for ${batch} x (${n16} + ${n32}) anchors`,
    );
  }
  const result: RawCandidate[][] = [];
  for (let b = 0; b < batch; b++) {
    const items: RawCandidate[] = [];
    for (let i = 0; i < centres.length; i++) {
      const first = i < n16;
      const logit = first ? s512[b * n16 + i]! : s384[b * n32 + (i - n16)]!;
      const score = Math.fround(sigmoid(logit));
      // NMS only ever looks at scores above the threshold: decoding the other anchors (most of the 896) is waste.
      if (!(score > minScore)) continue;
      const regs = first ? r512 : r384;
      const off = first ? (b * n16 + i) * 16 : (b * n32 + (i - n16)) * 16;
      const [ax, ay] = centres[i]!;
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

/** Image region fed to the detector (in image pixels), the input size it is resized to, and its pass. */
export interface View {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Detector input size (pixels): 256 x 256 for the whole-image pass, multiples of 32 for the others. */
  outW: number;
  outH: number;
  level: number;
}

/** The detector input value of an 8-bit sample that no interpolation touches: v / 127.5 - 1 in float32 steps. */
const BYTE_INPUT = Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(v) / 127.5) - 1);

/**
 * Detector input for a region, written into `out` at `offset`: plain resize to outW x outH (aspect ratio not kept,
 * as Human does), then x / 127.5 - 1. One pass reading the image in place: the same float32 values as cutting the
 * region out, `resizeBilinear` and `affine` one after the other, without their intermediate arrays.
 */
export function writeViewInput(image: Raster, v: View, out: Float32Array, offset: number): void {
  const W = v.outW;
  const H = v.outH;
  const c = image.channels;
  const data = image.data;
  const rowRatio = v.h / H;
  const colRatio = v.w / W;
  const colL = new Int32Array(W);
  const colR = new Int32Array(W);
  const colF = new Float64Array(W);
  for (let x = 0; x < W; x++) {
    const src = colRatio * x;
    const l = Math.max(0, Math.floor(src));
    colF[x] = src - l;
    colL[x] = (v.x + l) * c;
    colR[x] = (v.x + Math.min(v.w - 1, Math.ceil(src))) * c;
  }
  let o = offset;
  const bytes = data instanceof Uint8Array;
  // The small-face passes at half and a quarter of a photo whose sides divide evenly: every column on a source
  // column, so a row on a source row is a strided table lookup.
  const wholeCols = Number.isInteger(colRatio) && colRatio * (W - 1) <= v.w - 1;
  for (let y = 0; y < H; y++) {
    const src = rowRatio * y;
    const top = Math.max(0, Math.floor(src));
    const rowFrac = src - top;
    const bottom = Math.min(v.h - 1, Math.ceil(src));
    const topOff = (v.y + top) * image.width * c;
    const botOff = (v.y + bottom) * image.width * c;
    if (c === 3 && bytes && rowFrac === 0 && wholeCols) {
      const step = colRatio * 3;
      for (let x = 0, s = topOff + v.x * 3; x < W; x++, s += step) {
        out[o++] = BYTE_INPUT[data[s]!]!;
        out[o++] = BYTE_INPUT[data[s + 1]!]!;
        out[o++] = BYTE_INPUT[data[s + 2]!]!;
      }
      continue;
    }
    if (c === 3 && bytes && wholeCols) {
      // Between two source rows, every column on a source column: the column weight is 0, so only the rows blend.
      const step = colRatio * 3;
      for (let x = 0, t = topOff + v.x * 3, b = botOff + v.x * 3; x < W; x++, t += step, b += step) {
        for (let ch = 0; ch < 3; ch++) {
          const top = data[t + ch]!;
          out[o++] = Math.fround(Math.fround(top + (data[b + ch]! - top) * rowFrac) / 127.5) - 1;
        }
      }
      continue;
    }
    if (c === 3 && bytes && rowFrac === 0) {
      // A row on a source row (every other row at half scale). The bottom row weighs 0, and where the column falls
      // on a source pixel too the value is a table lookup.
      for (let x = 0; x < W; x++) {
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
      for (let x = 0; x < W; x++) {
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
    for (let x = 0; x < W; x++) {
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
  const out = new Float32Array(v.outW * v.outH * image.channels);
  writeViewInput(image, v, out, 0);
  return out;
}

/** A region of the image seen whole by the detector at its trained size, as Human's pass (level 0) does. */
export const wholeView = (x: number, y: number, w: number, h: number, level = 0): View => ({
  x,
  y,
  w,
  h,
  outW: DETECTOR_SIZE,
  outH: DETECTOR_SIZE,
  level,
});

const toStride = (n: number) => Math.max(STRIDE, Math.round(n / STRIDE) * STRIDE);

/**
 * The small-face passes: the whole image scaled so a face of `minFaceSize` is MIN_DETECTED detector pixels (level
 * 1), then at half that scale and so on while the scaled image is still larger than the whole-image pass's. The
 * coarser levels matter: on the demo photos shrunk 4-6x, level 2 found faces of 28-39 pixels that level 1 missed.
 * The detector is fully convolutional, so each pass is one run over the scaled image (in overlapping chunks of at
 * most CHUNK pixels a side on large images), not a grid of overlapping 256-pixel tiles: 0.83 M input pixels
 * instead of 1.44 M on a 1920 x 1280 photo.
 */
export function smallFaceViews(width: number, height: number, minFaceSize: number): View[] {
  if (minFaceSize <= 0) return [];
  // The whole-image pass squeezes the longer side into 256 pixels: its smallest face is MIN_DETECTED at that scale.
  const wholeScale = DETECTOR_SIZE / Math.max(width, height);
  const views: View[] = [];
  let scale = Math.min(1, MIN_DETECTED / minFaceSize);
  for (let level = 1; scale > wholeScale; level++, scale /= 2) {
    views.push(...chunks(width, height, toStride(width * scale), toStride(height * scale), level));
  }
  return views;
}

/** One level's input split into overlapping chunks of at most CHUNK pixels a side, each a whole-pixel region. */
function chunks(width: number, height: number, outW: number, outH: number, level: number): View[] {
  const spans = (total: number, out: number) => {
    const ratio = total / out;
    const starts = out <= CHUNK ? [0] : [];
    for (let o = 0; out > CHUNK && o + CHUNK < out; o += CHUNK - CHUNK_OVERLAP) starts.push(o);
    if (out > CHUNK) starts.push(out - CHUNK);
    return starts.map((o) => {
      const size = Math.min(out, CHUNK);
      const from = Math.round(o * ratio);
      const to = Math.min(total, Math.round((o + size) * ratio));
      return { from, len: to - from, out: size };
    });
  };
  const views: View[] = [];
  for (const y of spans(height, outH)) {
    for (const x of spans(width, outW)) {
      views.push({ x: x.from, y: y.from, w: x.len, h: y.len, outW: x.out, outH: y.out, level });
    }
  }
  return views;
}

/**
 * Detects faces. Pass 0 is Human's: the whole image at 256x256, NMS (IoU 0.1). Then, on images large enough for
 * faces of `minFaceSize` to vanish at that scale, the small-face passes; a face they find is kept only where it
 * overlaps no face already found, so faces the whole-image pass finds keep Human's exact boxes.
 */
export async function detectFaces(
  runtime: AnalysisRuntime,
  image: Raster,
  opts: DetectOptions,
  signal?: AbortSignal,
): Promise<Detection[]> {
  const small = smallFaceViews(image.width, image.height, opts.minFaceSize);
  const smallOpts = { ...opts, minConfidence: Math.max(opts.minConfidence, opts.tileMinConfidence) };
  // Every pass is requested at once (they are independent), so the runtime always has detector work queued while
  // this thread prepares the next input; the results are merged in pass order, as if run one after another.
  const passes = [detectViews(runtime, image, [wholeView(0, 0, image.width, image.height)], opts)];
  for (const v of small) passes.push(detectViews(runtime, image, [v], smallOpts));
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

/** Runs views of one input size as one batch and maps what each finds back into image pixels. */
async function detectViews(
  runtime: AnalysisRuntime,
  image: Raster,
  views: View[],
  opts: DetectOptions,
): Promise<Detection[]> {
  const size = views[0]!.outW * views[0]!.outH * 3;
  // Its own array per pass: a runtime may keep its inputs (the benchmark records them by reference).
  const input = new Float32Array(views.length * size);
  views.forEach((v, k) => writeViewInput(image, v, input, k * size));
  const batches = await runDetector(runtime, input, views.length, views[0]!, opts.minConfidence);
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
    const fx = v.w / v.outW;
    const fy = v.h / v.outH;
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
  return bestInside(await detectViews(runtime, image, [wholeView(x, y, w, h)], opts), box);
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
