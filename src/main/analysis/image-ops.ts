// Numeric image ops on plain typed arrays with TensorFlow's exact semantics, so model inputs equal what Human feeds.

/** An interleaved RGB (or 1-channel) image; `data` is 8-bit for decoded photos, float for crops. */
export interface Raster {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array | Float32Array;
}

/** A float image as the models see it (NHWC without the batch). */
export interface FloatRaster extends Raster {
  data: Float32Array;
}

/**
 * A rotation applied to the source before cropping, as `tf.image.rotateWithOffset(image, radians, 0, center)`
 * computes it: output pixel (x, y) takes the nearest source pixel of (x, y) rotated about the centre, 0 outside.
 */
export interface Rotation {
  radians: number;
  /** Centre in pixels, computed as tfjs does: `width * (cx / width)`. */
  centerX: number;
  centerY: number;
}

/**
 * A multiplication or division applied to every value as it is stored, in float32: the same numbers as the op
 * followed by `affine(out, (v) => Math.fround(v * times))` (or `/ divideBy`), without the second array and pass.
 */
export type Rescale = { times: number } | { divideBy: number };

/**
 * `tf.image.cropAndResize(image, [[y1, x1, y2, x2]], [0], [outH, outW])`, bilinear, extrapolation 0.
 * The box is in normalised coordinates and stored as float32 like the tfjs boxes tensor. With `rotation`, the
 * image is read through `rotateWithOffset` pixel by pixel, so only the crop's neighbourhood is ever rotated
 * (same values as rotating the whole image first, without its cost on large photos).
 */
export function cropAndResize(
  image: Raster,
  box: readonly [number, number, number, number],
  outH: number,
  outW: number,
  rotation?: Rotation,
  rescale?: Rescale,
): FloatRaster {
  const { width: w, height: h, channels: c, data } = image;
  const times = rescale && 'times' in rescale ? rescale.times : 1;
  const divideBy = rescale && 'divideBy' in rescale ? rescale.divideBy : 1;
  const y1 = Math.fround(box[0]);
  const x1 = Math.fround(box[1]);
  const y2 = Math.fround(box[2]);
  const x2 = Math.fround(box[3]);
  const out = new Float32Array(outH * outW * c);
  const hScale = outH > 1 ? ((y2 - y1) * (h - 1)) / (outH - 1) : 0;
  const wScale = outW > 1 ? ((x2 - x1) * (w - 1)) / (outW - 1) : 0;
  let cos = 1;
  let sin = 0;
  if (rotation) {
    cos = Math.cos(rotation.radians);
    sin = Math.sin(rotation.radians);
  }
  const cx = rotation?.centerX ?? 0;
  const cy = rotation?.centerY ?? 0;
  // Index of the source pixel (x, y) of the (possibly rotated) image, or -1 for the fill value 0. A column's
  // (x - cx) * cos and * sin and a row's (y - cy) * sin and * cos are worked out once (tables below), then
  // combined as rotateWithOffset combines them: round(dx cos - dy sin + cx), round(dx sin + dy cos + cy).
  const at = (xCos: number, xSin: number, yIdx: number, ySin: number, yCos: number, x: number): number => {
    if (!rotation) return yIdx + x * c;
    const rx = Math.round(xCos - ySin + cx);
    const ry = Math.round(xSin + yCos + cy);
    return rx >= 0 && rx < w && ry >= 0 && ry < h ? (ry * w + rx) * c : -1;
  };
  // The column terms do not depend on the row: computed once per call, not once per output pixel.
  const colLeft = new Int32Array(outW);
  const colRight = new Int32Array(outW);
  const colLerp = new Float64Array(outW);
  const colIn = new Uint8Array(outW);
  for (let x = 0; x < outW; x++) {
    const xIn = outW > 1 ? x1 * (w - 1) + x * wScale : 0.5 * (x1 + x2) * (w - 1);
    if (xIn < 0 || xIn > w - 1) continue;
    colIn[x] = 1;
    colLeft[x] = Math.floor(xIn);
    colRight[x] = Math.ceil(xIn);
    colLerp[x] = xIn - colLeft[x]!;
  }
  const leftCos = new Float64Array(outW);
  const leftSin = new Float64Array(outW);
  const rightCos = new Float64Array(outW);
  const rightSin = new Float64Array(outW);
  if (rotation) {
    for (let x = 0; x < outW; x++) {
      leftCos[x] = (colLeft[x]! - cx) * cos;
      leftSin[x] = (colLeft[x]! - cx) * sin;
      rightCos[x] = (colRight[x]! - cx) * cos;
      rightSin[x] = (colRight[x]! - cx) * sin;
    }
  }
  for (let y = 0; y < outH; y++) {
    const yIn = outH > 1 ? y1 * (h - 1) + y * hScale : 0.5 * (y1 + y2) * (h - 1);
    if (yIn < 0 || yIn > h - 1) continue; // the row stays at the extrapolation value 0
    const top = Math.floor(yIn);
    const bottom = Math.ceil(yIn);
    const yLerp = yIn - top;
    const topIdx = top * w * c;
    const bottomIdx = bottom * w * c;
    const topSin = (top - cy) * sin;
    const topCos = (top - cy) * cos;
    const bottomSin = (bottom - cy) * sin;
    const bottomCos = (bottom - cy) * cos;
    for (let x = 0; x < outW; x++) {
      if (colIn[x] === 0) continue;
      const left = colLeft[x]!;
      const right = colRight[x]!;
      const xLerp = colLerp[x]!;
      const tl = at(leftCos[x]!, leftSin[x]!, topIdx, topSin, topCos, left);
      const tr = at(rightCos[x]!, rightSin[x]!, topIdx, topSin, topCos, right);
      const bl = at(leftCos[x]!, leftSin[x]!, bottomIdx, bottomSin, bottomCos, left);
      const br = at(rightCos[x]!, rightSin[x]!, bottomIdx, bottomSin, bottomCos, right);
      const o = (y * outW + x) * c;
      for (let ch = 0; ch < c; ch++) {
        const vtl = tl < 0 ? 0 : data[tl + ch]!;
        const vtr = tr < 0 ? 0 : data[tr + ch]!;
        const vbl = bl < 0 ? 0 : data[bl + ch]!;
        const vbr = br < 0 ? 0 : data[br + ch]!;
        const t = vtl + (vtr - vtl) * xLerp;
        const b = vbl + (vbr - vbl) * xLerp;
        const v = Math.fround(t + (b - t) * yLerp);
        out[o + ch] = times !== 1 ? v * times : divideBy !== 1 ? v / divideBy : v;
      }
    }
  }
  return { width: outW, height: outH, channels: c, data: out };
}

/** `tf.image.resizeBilinear(image, [outH, outW], alignCorners = false)` with half-pixel centres off (TF's default). */
export function resizeBilinear(image: Raster, outH: number, outW: number, rescale?: Rescale): FloatRaster {
  const { width: w, height: h, channels: c, data } = image;
  const times = rescale && 'times' in rescale ? rescale.times : 1;
  const divideBy = rescale && 'divideBy' in rescale ? rescale.divideBy : 1;
  const out = new Float32Array(outH * outW * c);
  const rowRatio = h / outH;
  const colRatio = w / outW;
  const colFloor = new Int32Array(outW);
  const colCeil = new Int32Array(outW);
  const colFrac = new Float64Array(outW);
  for (let x = 0; x < outW; x++) {
    const src = colRatio * x;
    colFloor[x] = Math.max(0, Math.floor(src));
    colFrac[x] = src - colFloor[x]!;
    colCeil[x] = Math.min(w - 1, Math.ceil(src));
  }
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const src = rowRatio * y;
    const top = Math.max(0, Math.floor(src));
    const rowFrac = src - top;
    const bottom = Math.min(h - 1, Math.ceil(src));
    const topOff = top * w * c;
    const botOff = bottom * w * c;
    for (let x = 0; x < outW; x++) {
      const l = colFloor[x]! * c;
      const r = colCeil[x]! * c;
      const f = colFrac[x]!;
      for (let ch = 0; ch < c; ch++) {
        const tl = data[topOff + l + ch]!;
        const tr = data[topOff + r + ch]!;
        const bl = data[botOff + l + ch]!;
        const br = data[botOff + r + ch]!;
        const t = tl + (tr - tl) * f;
        const b = bl + (br - bl) * f;
        const v = Math.fround(t + (b - t) * rowFrac);
        out[o++] = times !== 1 ? v * times : divideBy !== 1 ? v / divideBy : v;
      }
    }
  }
  return { width: outW, height: outH, channels: c, data: out };
}

/** x -> x * a + b on every value, in float32 as tfjs' mul/div/sub would store it. */
export function affine(image: FloatRaster, fn: (v: number) => number): FloatRaster {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = fn(image.data[i]!);
  return { ...image, data: out };
}

/** Grayscale as Human's emotion.ts: sum of RGB weighted 0.2989, 0.587, 0.114 (float32 constants), 1 channel. */
export function grayscale(image: FloatRaster): FloatRaster {
  const wr = Math.fround(0.2989);
  const wg = Math.fround(0.587);
  const wb = Math.fround(0.114);
  const n = image.width * image.height;
  const out = new Float32Array(n);
  const d = image.data;
  for (let i = 0; i < n; i++) {
    out[i] = Math.fround(d[i * 3]! * wr) + Math.fround(d[i * 3 + 1]! * wg) + Math.fround(d[i * 3 + 2]! * wb);
  }
  return { width: image.width, height: image.height, channels: 1, data: out };
}

/** Variance of the 4-neighbour Laplacian of a grayscale float image (a standard sharpness measure). */
export function laplacianVariance(gray: FloatRaster): number {
  const { width: w, height: h, data } = gray;
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const v = data[i - w]! + data[i + w]! + data[i - 1]! + data[i + 1]! - 4 * data[i]!;
      sum += v;
      sq += v * v;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sq / n - mean * mean;
}
