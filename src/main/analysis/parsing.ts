// Derived parsing map: facemesh polygons plus the selfie person matte, rasterised in CelebAMask-HQ class ids.
import sharp from 'sharp';
import {
  DERIVED_MASK_CLASSES,
  PARSING_CLASSES as CELEBAMASK_HQ_CLASSES,
  type ParsingClass,
} from '../../shared/taxonomy';
import { resizeBilinear, type Raster } from './image-ops';

/**
 * MediaPipe FaceMesh index loops (as in MediaPipe's face_mesh_connections and Human's facemeshcoords.ts). MediaPipe's
 * "left" / "right" are the subject's, and so are CelebAMask-HQ's l_ / r_ classes here: l_eye is the subject's left
 * eye, on the image right of a frontal face.
 */
export const MESH_REGIONS = {
  faceOval: [
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176,
    149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
  ],
  rightEye: [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
  leftEye: [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466],
  rightBrow: [70, 63, 105, 66, 107, 55, 65, 52, 53, 46],
  leftBrow: [300, 293, 334, 296, 336, 285, 295, 282, 283, 276],
  upperLip: [
    61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191, 78,
  ],
  lowerLip: [
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95, 78,
  ],
  innerMouth: [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95],
  /** Lower nose loop (MediaPipe FACEMESH_NOSE) plus the bridge: its hull is the nose region. */
  nose: [168, 122, 351, 196, 419, 4, 45, 220, 115, 48, 64, 98, 97, 2, 326, 327, 294, 278, 344, 440, 275],
} as const;

/** Classes the derived map can express (the taxonomy's list, which the rules read too). */
export const DERIVED_CLASSES: readonly ParsingClass[] = DERIVED_MASK_CLASSES;

const id = (c: ParsingClass): number => CELEBAMASK_HQ_CLASSES.indexOf(c);

/** Largest side of a stored map: CelebAMask-HQ's own masks are 512x512. */
export const MAX_MASK_SIDE = 512;

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LabelMap {
  /** Region of the image the map covers, in image pixels. */
  box: Box;
  width: number;
  height: number;
  /** Canonical CelebAMask-HQ id per pixel, row-major. */
  ids: Uint8Array;
}

/** A person matte (selfie output, 256x256, 1 = person) over the whole image, or over `box` of it. */
export interface Matte {
  size: number;
  data: Float32Array;
  imageWidth: number;
  imageHeight: number;
  /** The image region the matte covers (the model's input was this region resized); the whole image if absent. */
  box?: Box;
}

/** The selfie model's input for an image region: the region resized (TF's resizeBilinear) to 256x256, RGB in [0, 1]. */
export function matteInput(image: Raster, box: Box): Float32Array {
  const c = image.channels;
  const sub = new Uint8Array(box.w * box.h * c);
  for (let y = 0; y < box.h; y++) {
    const from = ((box.y + y) * image.width + box.x) * c;
    sub.set(image.data.subarray(from, from + box.w * c), y * box.w * c);
  }
  return resizeBilinear({ width: box.w, height: box.h, channels: c, data: sub }, 256, 256, { divideBy: 255 })
    .data;
}

/**
 * The matte at the centres of a grid of `width` x `height` pixels over `region` (image pixels): TF's resizeBilinear
 * of the 256x256 matte to its own region's size, read at those points (one lerp table per axis).
 */
function matteOnGrid(m: Matte, region: Box, width: number, height: number): Float32Array {
  const r = m.box ?? { x: 0, y: 0, w: m.imageWidth, h: m.imageHeight };
  const axis = (n: number, from: number, step: number, origin: number, extent: number) => {
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const t = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const src = (m.size / extent) * (from + (k + 0.5) * step - origin);
      const lo = Math.min(m.size - 1, Math.max(0, Math.floor(src)));
      i0[k] = lo;
      i1[k] = Math.min(m.size - 1, Math.max(0, Math.ceil(src)));
      t[k] = Math.max(0, src - lo);
    }
    return { i0, i1, t };
  };
  const cx = axis(width, region.x, region.w / width, r.x, r.w);
  const cy = axis(height, region.y, region.h / height, r.y, r.h);
  const d = m.data;
  const out = new Float32Array(width * height);
  for (let row = 0; row < height; row++) {
    const top = cy.i0[row]! * m.size;
    const bot = cy.i1[row]! * m.size;
    const fy = cy.t[row]!;
    for (let col = 0; col < width; col++) {
      const x0 = cx.i0[col]!;
      const x1 = cx.i1[col]!;
      const fx = cx.t[col]!;
      const t = d[top + x0]! + (d[top + x1]! - d[top + x0]!) * fx;
      const b = d[bot + x0]! + (d[bot + x1]! - d[bot + x0]!) * fx;
      out[row * width + col] = t + (b - t) * fy;
    }
  }
  return out;
}

type Point = [number, number];

function pts(landmarks: Float32Array, idx: readonly number[]): Point[] {
  return idx.map((i) => [landmarks[i * 3]!, landmarks[i * 3 + 1]!]);
}

/** Andrew's monotone chain convex hull. */
function hull(points: Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: Point, a: Point, b: Point) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0)
      lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (const q of p.reverse()) {
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0)
      upper.pop();
    upper.push(q);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

/** Even-odd scanline fill of a polygon (map pixel coordinates), sampling pixel centres. */
function fillPolygon(map: LabelMap, poly: Point[], value: number): void {
  if (poly.length < 3) return;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [, y] of poly) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const y0 = Math.max(0, Math.ceil(minY - 0.5));
  const y1 = Math.min(map.height - 1, Math.floor(maxY - 0.5));
  const xs: number[] = [];
  for (let row = y0; row <= y1; row++) {
    const cy = row + 0.5;
    xs.length = 0;
    for (let i = 0; i < poly.length; i++) {
      const [ax, ay] = poly[i]!;
      const [bx, by] = poly[(i + 1) % poly.length]!;
      if (ay <= cy !== by <= cy) xs.push(ax + ((cy - ay) / (by - ay)) * (bx - ax));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const to = Math.min(map.width - 1, Math.floor(xs[k + 1]! - 0.5));
      if (to >= from) map.ids.fill(value, row * map.width + from, row * map.width + to + 1);
    }
  }
}

/** The face's own frame: u along the outer eye corners, v perpendicular (down the face), origin at the oval centre. */
interface FaceFrame {
  toU(x: number, y: number): number;
  toV(x: number, y: number): number;
  toImage(u: number, v: number): Point;
  halfWidth: number;
  halfHeight: number;
  jawV: number;
  chinV: number;
  topV: number;
}

function faceFrame(landmarks: Float32Array): FaceFrame {
  const [r] = pts(landmarks, [33]);
  const [l] = pts(landmarks, [263]);
  const len = Math.hypot(l![0] - r![0], l![1] - r![1]) || 1;
  const ux = (l![0] - r![0]) / len;
  const uy = (l![1] - r![1]) / len;
  const oval = pts(landmarks, MESH_REGIONS.faceOval);
  const cx = oval.reduce((s, p) => s + p[0], 0) / oval.length;
  const cy = oval.reduce((s, p) => s + p[1], 0) / oval.length;
  const toU = (x: number, y: number) => (x - cx) * ux + (y - cy) * uy;
  const toV = (x: number, y: number) => -(x - cx) * uy + (y - cy) * ux;
  const us = oval.map(([x, y]) => toU(x, y));
  const vs = oval.map(([x, y]) => toV(x, y));
  const jaw = pts(landmarks, [172, 397]);
  return {
    toU,
    toV,
    toImage: (u, v) => [cx + u * ux - v * uy, cy + u * uy + v * ux],
    halfWidth: Math.max(...us.map(Math.abs)),
    halfHeight: (Math.max(...vs) - Math.min(...vs)) / 2,
    jawV: jaw.reduce((s, [x, y]) => s + toV(x, y), 0) / jaw.length,
    chinV: Math.max(...vs),
    topV: Math.min(...vs),
  };
}

/**
 * Region a face's map covers: the head ellipse (hair) and the neck band below the chin, in image pixels, clamped.
 * Head ellipse: centred 0.1 face half-heights above the oval centre, semi-axes 1.6 half-widths and 1.5 half-heights
 * (room for hair volume above and beside the face). Neck band: 0.75 half-widths either side of the centre line, down
 * to one half-height below the chin.
 */
export function maskRegion(landmarks: Float32Array, width: number, height: number): Box {
  const f = faceFrame(landmarks);
  const corners: Point[] = [];
  for (const u of [-1.6 * f.halfWidth, 1.6 * f.halfWidth]) {
    for (const v of [-1.6 * f.halfHeight, f.chinV + f.halfHeight]) corners.push(f.toImage(u, v));
  }
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[0]))));
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[1]))));
  const x1 = Math.min(width, Math.ceil(Math.max(...corners.map((c) => c[0]))));
  const y1 = Math.min(height, Math.ceil(Math.max(...corners.map((c) => c[1]))));
  return { x: x0, y: y0, w: Math.max(1, x1 - x0), h: Math.max(1, y1 - y0) };
}

/** A Gaussian colour model (RGB, full covariance) fitted to sampled pixels. */
interface ColourModel {
  mean: [number, number, number];
  /** Inverse covariance, row-major 3x3. */
  inv: number[];
  /** ln det of the covariance. */
  logDet: number;
  n: number;
}

function fitColour(samples: number[]): ColourModel | null {
  const n = samples.length / 3;
  if (n < 30) return null;
  const m: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < samples.length; i += 3) {
    m[0] += samples[i]!;
    m[1] += samples[i + 1]!;
    m[2] += samples[i + 2]!;
  }
  m[0] /= n;
  m[1] /= n;
  m[2] /= n;
  // Covariance plus a floor (16 = 4 grey levels squared) so flat regions do not give a singular model.
  const c = [16, 0, 0, 0, 16, 0, 0, 0, 16];
  for (let i = 0; i < samples.length; i += 3) {
    const d = [samples[i]! - m[0], samples[i + 1]! - m[1], samples[i + 2]! - m[2]];
    for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) c[r * 3 + k]! += (d[r]! * d[k]!) / n;
  }
  const [a, b, cc, d, e, f, g, h, i] = c as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + cc * (d * h - e * g);
  if (!(det > 0)) return null;
  const inv = [
    (e * i - f * h) / det,
    (cc * h - b * i) / det,
    (b * f - cc * e) / det,
    (f * g - d * i) / det,
    (a * i - cc * g) / det,
    (cc * d - a * f) / det,
    (d * h - e * g) / det,
    (b * g - a * h) / det,
    (a * e - b * d) / det,
  ];
  return { mean: m, inv, logDet: Math.log(det), n };
}

/** A colour model refitted twice to the samples inside its 95 % ellipsoid (drops shadows, stray hair, background). */
function fitRobust(samples: number[]): ColourModel | null {
  let model = fitColour(samples);
  for (let pass = 0; pass < 2 && model; pass++) {
    const m = model;
    const kept: number[] = [];
    for (let i = 0; i < samples.length; i += 3) {
      if (mahal2(m, samples[i]!, samples[i + 1]!, samples[i + 2]!) < 7.8) {
        kept.push(samples[i]!, samples[i + 1]!, samples[i + 2]!);
      }
    }
    model = fitColour(kept) ?? m;
  }
  return model;
}

/** Two models of one colour: each mean inside the other's SAME_COLOUR ellipsoid. */
function sameColour(a: ColourModel, b: ColourModel): boolean {
  return mahal2(a, ...b.mean) < SAME_COLOUR && mahal2(b, ...a.mean) < SAME_COLOUR;
}

/** Squared Mahalanobis distance of a colour to a model. */
function mahal2(model: ColourModel, r: number, g: number, b: number): number {
  const d0 = r - model.mean[0];
  const d1 = g - model.mean[1];
  const d2 = b - model.mean[2];
  const q = model.inv;
  return (
    d0 * (q[0]! * d0 + q[1]! * d1 + q[2]! * d2) +
    d1 * (q[3]! * d0 + q[4]! * d1 + q[5]! * d2) +
    d2 * (q[6]! * d0 + q[7]! * d1 + q[8]! * d2)
  );
}

/** Box mean of a field over a (2r+1)^2 window (separable running sums), the window clipped at the edges. */
function boxMean(src: Float32Array, width: number, height: number, r: number): Float32Array {
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const pass = (
    from: Float32Array,
    to: Float32Array,
    len: number,
    lines: number,
    stride: number,
    next: number,
  ) => {
    for (let line = 0; line < lines; line++) {
      const base = line * next;
      let sum = 0;
      for (let k = 0; k < Math.min(r, len); k++) sum += from[base + k * stride]!;
      for (let i = 0; i < len; i++) {
        if (i + r < len) sum += from[base + (i + r) * stride]!;
        if (i - r - 1 >= 0) sum -= from[base + (i - r - 1) * stride]!;
        to[base + i * stride] = sum / (Math.min(len - 1, i + r) - Math.max(0, i - r) + 1);
      }
    }
  };
  pass(src, tmp, width, height, 1, width);
  pass(tmp, out, height, width, width, 1);
  return out;
}

/**
 * Largest side of the grid the colour fields are computed on (then read bilinearly at every map pixel). 128 gave
 * the same per-class IoU against the hand-drawn reference as 256 (face 0.836, hair 0.570 vs 0.569, cloth 0.674,
 * background 0.796) for a quarter of the work.
 */
const WORK_SIDE = 128;
/** Squared Mahalanobis distance under which a colour counts as the face's skin (chi-square, 3 dof, p = 0.99). */
const SKIN_CHI2 = 16;
/** Log-likelihood bonus for skin (neck) over cloth or hair in the band under the chin. */
const NECK_PRIOR = 4;
/** A model whose mean lies this close (squared Mahalanobis) to the skin's is the skin itself. */
const SAME_COLOUR = 1.5;

/**
 * Builds the derived map at the region's own resolution (at most MAX_MASK_SIDE a side). Face parts come from
 * facemesh polygons (face oval → skin, nose hull, brows, eyes, lips, inner mouth). Around them the person matte
 * (> 0.5) says what belongs to the person, and colour says what part: a Gaussian skin colour model is fitted to
 * the oval's skin below the brows, a hair model to the non-skin person pixels above the oval, a cloth model to
 * the non-skin person pixels well below the chin. Then, per person pixel outside the face parts (skin-likeness
 * smoothed over a small window): above the jaw line (landmarks 172 / 397), skin-like pixels are forehead / scalp
 * skin, or l_ear / r_ear beside the oval between brow and nose-tip height; other pixels are hair. Below the jaw,
 * skin-like pixels are neck; others are hair or cloth by which model is closer. Inside the oval above the brows,
 * hair-coloured pixels are hair (a fringe). A bald head has no hair model (under 15 % of the pixels above the
 * oval are non-skin), so its scalp is skin. Without the image or matte only the polygons are drawn.
 */
export function derivedLabelMap(
  landmarks: Float32Array,
  matte: Matte | null,
  region: Box,
  image?: Raster | null,
): LabelMap {
  const scale = Math.min(1, MAX_MASK_SIDE / Math.max(region.w, region.h));
  const width = Math.max(1, Math.round(region.w * scale));
  const height = Math.max(1, Math.round(region.h * scale));
  const n = width * height;
  const map: LabelMap = { box: region, width, height, ids: new Uint8Array(n) };
  const f = faceFrame(landmarks);
  const SKIN = id('skin');
  const drawParts = (m: LabelMap) => {
    const kx = region.w / m.width;
    const ky = region.h / m.height;
    const toMap = (p: Point[]): Point[] => p.map(([x, y]) => [(x - region.x) / kx, (y - region.y) / ky]);
    const poly = (idx: readonly number[]) => toMap(pts(landmarks, idx));
    // Skin: the hull of all 468 points (each on the face's surface). The face oval is the outline of a frontal
    // face only: on a turned face, cheek points project outside it.
    const all: Point[] = [];
    for (let i = 0; i + 1 < landmarks.length; i += 3) all.push([landmarks[i]!, landmarks[i + 1]!]);
    fillPolygon(m, hull(toMap(all)), SKIN);
    fillPolygon(m, hull(poly(MESH_REGIONS.nose)), id('nose'));
    fillPolygon(m, poly(MESH_REGIONS.leftBrow), id('l_brow'));
    fillPolygon(m, poly(MESH_REGIONS.rightBrow), id('r_brow'));
    fillPolygon(m, poly(MESH_REGIONS.leftEye), id('l_eye'));
    fillPolygon(m, poly(MESH_REGIONS.rightEye), id('r_eye'));
    fillPolygon(m, poly(MESH_REGIONS.upperLip), id('u_lip'));
    fillPolygon(m, poly(MESH_REGIONS.lowerLip), id('l_lip'));
    fillPolygon(m, poly(MESH_REGIONS.innerMouth), id('mouth'));
  };
  drawParts(map);
  if (!matte || !image) return map;
  // Colour fields are computed on a work grid of at most WORK_SIDE a side (the matte's own resolution), then read
  // bilinearly at every map pixel, so the edges stay smooth at the map's full resolution.
  const k = Math.max(1, Math.ceil(Math.max(width, height) / WORK_SIDE));
  const full = map;
  const fullW = width;
  const fullH = height;
  const fields = colourFields(
    Math.max(1, Math.round(width / k)),
    Math.max(1, Math.round(height / k)),
    image,
    matte,
  );
  if (!fields) return map;
  labelFull(fields, matte);
  return map;

  function colourFields(width: number, height: number, image: Raster, matte: Matte) {
    const n = width * height;
    const map: LabelMap = { box: region, width, height, ids: new Uint8Array(n) };
    drawParts(map);
    const sx = region.w / width;
    const sy = region.h / height;

    const vOf = (i: number) => pts(landmarks, [i]).map(([x, y]) => f.toV(x, y))[0]!;
    const browV = (vOf(105) + vOf(334)) / 2;
    const noseTipV = vOf(2);
    const hw = f.halfWidth;
    const hh = f.halfHeight;
    // Per map pixel: colour, person, frame coordinates.
    const rgb = new Float32Array(n * 3);
    const person = new Uint8Array(n);
    const us = new Float32Array(n);
    const vs = new Float32Array(n);
    const ch = image.channels;
    const g = ch > 1 ? 1 : 0;
    const bl = ch > 2 ? 2 : 0;
    const mat = matteOnGrid(matte, region, width, height);
    // u and v are linear in x and y: per-column steps.
    const du = (f.toU(region.x + sx, region.y) - f.toU(region.x, region.y)) / 1;
    const dv = (f.toV(region.x + sx, region.y) - f.toV(region.x, region.y)) / 1;
    const ixs = new Int32Array(width);
    for (let col = 0; col < width; col++) {
      ixs[col] = Math.min(image.width - 1, Math.max(0, Math.floor(region.x + (col + 0.5) * sx)));
    }
    for (let row = 0; row < height; row++) {
      const y = region.y + (row + 0.5) * sy;
      const iy = Math.min(image.height - 1, Math.max(0, Math.floor(y)));
      const x0 = region.x + 0.5 * sx;
      let u = f.toU(x0, y);
      let v = f.toV(x0, y);
      for (let col = 0; col < width; col++, u += du, v += dv) {
        const p = row * width + col;
        const q = (iy * image.width + ixs[col]!) * ch;
        rgb[p * 3] = image.data[q]!;
        rgb[p * 3 + 1] = image.data[q + g]!;
        rgb[p * 3 + 2] = image.data[q + bl]!;
        us[p] = u;
        vs[p] = v;
        person[p] = map.ids[p] !== 0 || mat[p]! > 0.5 ? 1 : 0;
      }
    }
    const sample = (keep: (p: number) => boolean): number[] => {
      const out: number[] = [];
      const step = Math.max(1, Math.floor(Math.sqrt(n / 15000)));
      for (let row = 0; row < height; row += step) {
        for (let col = 0; col < width; col += step) {
          const p = row * width + col;
          if (keep(p)) out.push(rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!);
        }
      }
      return out;
    };
    const skin = fitRobust(
      sample((p) => map.ids[p] === SKIN && vs[p]! > browV && vs[p]! < f.jawV && Math.abs(us[p]!) < 0.7 * hw),
    );
    if (!skin) return null;
    const ll = (m: ColourModel, p: number) =>
      -0.5 * (mahal2(m, rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!) + m.logDet);
    // Hair: the person above the oval, unless its colour is the skin's (a bald scalp, or skin above a high oval top).
    const hairFit = fitRobust(
      sample((p) => person[p] === 1 && map.ids[p] === 0 && vs[p]! < f.topV && Math.abs(us[p]!) < 1.3 * hw),
    );
    const hair = hairFit && !sameColour(skin, hairFit) ? hairFit : null;
    const clothFit = fitRobust(sample((p) => person[p] === 1 && vs[p]! > f.chinV + 0.5 * hh));
    const cloth = clothFit && !sameColour(skin, clothFit) ? clothFit : null;
    // Skin-likeness: within the skin model's ellipsoid and likelier skin than hair (or cloth, below the jaw); then
    // smoothed. `margin` keeps the hair log-likelihood over the alternative (skin in the oval, cloth below the jaw).
    const skinLike = new Float32Array(n);
    const margin = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      if (!person[p]) continue;
      const cur = map.ids[p]!;
      if (cur !== 0 && (cur !== SKIN || vs[p]! >= browV)) {
        skinLike[p] = 1; // face parts below the brows: drawn already
        continue;
      }
      const below = vs[p]! >= f.jawV;
      // The neck under the chin is often in shadow: there skin gets a prior (and a wider ellipsoid) against cloth,
      // tapering off sideways and downwards (no straight edge where it ends).
      const neck = below
        ? Math.max(0, 1 - Math.abs(us[p]!) / (0.8 * hw)) * Math.max(0, 1 - (vs[p]! - f.chinV) / (0.6 * hh))
        : 0;
      const d = mahal2(skin, rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!);
      const s = -0.5 * (d + skin.logDet) + Math.min(1, neck) * NECK_PRIOR;
      const h = hair ? ll(hair, p) : -Infinity;
      // Cloth is possible from the nose tip down (collars and shoulders beside a tilted head reach above the jaw).
      const c = vs[p]! > noseTipV && cloth ? ll(cloth, p) : -Infinity;
      margin[p] = cur === 0 ? h - c : h - s;
      skinLike[p] = d < (1 + 2 * Math.min(1, neck)) * SKIN_CHI2 && s >= h && s >= c ? 1 : 0;
    }
    const smooth = boxMean(skinLike, width, height, Math.max(1, Math.round(width / 128)));
    // What is not connected to the face (through the person; skin through skin) is someone else's.
    const reach = (through: Uint8Array): Uint8Array => {
      const seen = new Uint8Array(n);
      const stack = new Int32Array(n);
      let top = 0;
      const push = (q: number) => {
        if (!seen[q] && through[q]) {
          seen[q] = 1;
          stack[top++] = q;
        }
      };
      for (let p = 0; p < n; p++) {
        if (map.ids[p] !== 0) {
          seen[p] = 1;
          stack[top++] = p;
        }
      }
      while (top > 0) {
        const p = stack[--top]!;
        const col = p % width;
        if (p >= width) push(p - width);
        if (p + width < n) push(p + width);
        if (col > 0) push(p - 1);
        if (col < width - 1) push(p + 1);
      }
      return seen;
    };
    const skinPerson = new Uint8Array(n);
    for (let p = 0; p < n; p++) skinPerson[p] = person[p]! & (smooth[p]! >= 0.5 ? 1 : 0);
    const ofFace = reach(person);
    const skinOfFace = reach(skinPerson);
    // Margins are clamped so that bilinear reads stay finite.
    for (let p = 0; p < n; p++) margin[p] = Math.max(-50, Math.min(50, margin[p]!));
    return {
      width,
      height,
      smooth,
      margin,
      ofFace,
      skinOfFace,
      hair: hair !== null,
      browV,
      noseTipV,
      hw,
      hh,
    };
  }

  function labelFull(w: NonNullable<ReturnType<typeof colourFields>>, matte: Matte) {
    const { browV, noseTipV, hw, hh } = w;
    // Class ids looked up once, not per pixel.
    const HAIR = id('hair');
    const CLOTH = id('cloth');
    const NECK = id('neck');
    const L_EAR = id('l_ear');
    const R_EAR = id('r_ear');
    const rx = w.width / fullW;
    const ry = w.height / fullH;
    const fsx = region.w / fullW;
    const fsy = region.h / fullH;
    const du = f.toU(region.x + fsx, region.y) - f.toU(region.x, region.y);
    const dv = f.toV(region.x + fsx, region.y) - f.toV(region.x, region.y);
    // Only pixels whose work cell reaches the face are labelled here (the face parts are such cells too), so the
    // rows and columns outside those cells' bounding box are left as drawn: on the demo photos that skips about
    // half of each map. The matte is read over the same box.
    let cx0 = w.width;
    let cx1 = -1;
    let cy0 = w.height;
    let cy1 = -1;
    for (let q = 0; q < w.ofFace.length; q++) {
      if (!w.ofFace[q]) continue;
      const qx = q % w.width;
      const qy = (q - qx) / w.width;
      if (qx < cx0) cx0 = qx;
      if (qx > cx1) cx1 = qx;
      if (qy < cy0) cy0 = qy;
      if (qy > cy1) cy1 = qy;
    }
    if (cx1 < 0) return;
    // One cell more on each side: a face-part pixel at the polygon's edge can fall in a cell just outside it.
    cx0 = Math.max(0, cx0 - 1);
    cy0 = Math.max(0, cy0 - 1);
    cx1 = Math.min(w.width - 1, cx1 + 1);
    cy1 = Math.min(w.height - 1, cy1 + 1);
    const cellX = (col: number) => Math.min(w.width - 1, Math.floor((col + 0.5) * rx));
    const cellY = (row: number) => Math.min(w.height - 1, Math.floor((row + 0.5) * ry));
    let rowStart = 0;
    while (rowStart < fullH && cellY(rowStart) < cy0) rowStart++;
    let rowEnd = fullH;
    while (rowEnd > rowStart && cellY(rowEnd - 1) > cy1) rowEnd--;
    let colStart = 0;
    while (colStart < fullW && cellX(colStart) < cx0) colStart++;
    let colEnd = fullW;
    while (colEnd > colStart && cellX(colEnd - 1) > cx1) colEnd--;
    const boxW = colEnd - colStart;
    const sub = {
      x: region.x + colStart * fsx,
      y: region.y + rowStart * fsy,
      w: boxW * fsx,
      h: (rowEnd - rowStart) * fsy,
    };
    const mat = matteOnGrid(matte, sub, boxW, rowEnd - rowStart);
    // The hot loop reads locals only; each column's cell, neighbours and weight are worked out once per map.
    const ids = full.ids;
    const ww = w.width;
    const { smooth, margin: marginW, ofFace, skinOfFace, hair } = w;
    const jawV = f.jawV;
    const chinV = f.chinV;
    const colX0 = new Int32Array(boxW);
    const colX1 = new Int32Array(boxW);
    const colTx = new Float64Array(boxW);
    const colNx = new Int32Array(boxW);
    for (let col = colStart; col < colEnd; col++) {
      const wx = Math.min(ww - 1, Math.max(0, (col + 0.5) * rx - 0.5));
      const x0 = Math.floor(wx);
      colX0[col - colStart] = x0;
      colX1[col - colStart] = Math.min(ww - 1, x0 + 1);
      colTx[col - colStart] = wx - x0;
      colNx[col - colStart] = Math.min(ww - 1, Math.floor((col + 0.5) * rx));
    }
    for (let row = rowStart; row < rowEnd; row++) {
      const y = region.y + (row + 0.5) * fsy;
      const wy = Math.min(w.height - 1, Math.max(0, (row + 0.5) * ry - 0.5));
      const y0 = Math.floor(wy);
      const y1 = Math.min(w.height - 1, y0 + 1);
      const ty = wy - y0;
      const ny = Math.min(w.height - 1, Math.floor((row + 0.5) * ry));
      const r0 = y0 * ww;
      const r1 = y1 * ww;
      const rn = ny * ww;
      const matRow = (row - rowStart) * boxW;
      let u = f.toU(region.x + (colStart + 0.5) * fsx, y);
      let v = f.toV(region.x + (colStart + 0.5) * fsx, y);
      for (let col = colStart; col < colEnd; col++, u += du, v += dv) {
        const p = row * fullW + col;
        const cur = ids[p]!;
        if (cur !== 0 && (cur !== SKIN || v >= browV)) continue;
        const c = col - colStart;
        if (cur === 0 && mat[matRow + c]! <= 0.5) continue;
        const nq = rn + colNx[c]!;
        if (cur === 0 && !ofFace[nq]) continue;
        const x0 = colX0[c]!;
        const x1 = colX1[c]!;
        const tx = colTx[c]!;
        const i00 = r0 + x0;
        const i01 = r0 + x1;
        const i10 = r1 + x0;
        const i11 = r1 + x1;
        const w00 = (1 - tx) * (1 - ty);
        const w01 = tx * (1 - ty);
        const w10 = (1 - tx) * ty;
        const w11 = tx * ty;
        let likeSkin =
          smooth[i00]! * w00 + smooth[i01]! * w01 + smooth[i10]! * w10 + smooth[i11]! * w11 >= 0.5;
        const margin = marginW[i00]! * w00 + marginW[i01]! * w01 + marginW[i10]! * w10 + marginW[i11]! * w11;
        if (cur !== 0) {
          // A fringe: hair-coloured pixels of the face above the brows.
          if (!likeSkin && margin > 0) ids[p] = HAIR;
          continue;
        }
        if (likeSkin && !skinOfFace[nq]) {
          // Skin apart from the face's: someone else's above the jaw; below, skin seen through clothes or hair.
          if (v < jawV) continue;
          likeSkin = false;
        }
        if (!likeSkin && v > noseTipV) {
          // Hair or cloth by colour, tipped by place: hair beside the neck and near the chin, cloth lower down.
          const side = Math.max(-1, Math.min(1, (Math.abs(u) - 0.9 * hw) / (0.3 * hw)));
          const prior = (2 * (chinV + 0.5 * hh - v)) / hh + side;
          ids[p] = hair && margin + prior > 0 ? HAIR : CLOTH;
        } else if (v < jawV) {
          if (!likeSkin) ids[p] = HAIR;
          else if (Math.abs(u) > 0.8 * hw && v > browV && v < noseTipV) ids[p] = u > 0 ? L_EAR : R_EAR;
          else ids[p] = v > noseTipV ? NECK : SKIN;
        } else {
          ids[p] = NECK;
        }
      }
    }
  }
}

/**
 * zlib level of a stored map's PNG. On the 28 demo faces' maps (one libuv thread) level 9 took 9.1-11.1 ms a face
 * for 3.8 KB, level 6 2.4-2.7 ms for 4.5 KB: every analysed face pays it, so the bytes are the cheaper cost.
 * Exports of masks keep level 9 (written once, shipped).
 */
export const MAP_PNG_LEVEL = 6;

/** Single-channel 8-bit PNG of the ids (lossless: reading it back gives the same bytes). */
export async function encodeLabelMap(map: LabelMap): Promise<Buffer> {
  return (
    sharp(Buffer.from(map.ids.buffer, map.ids.byteOffset, map.ids.length), {
      raw: { width: map.width, height: map.height, channels: 1 },
    })
      // Without 'b-w' libvips writes the one-channel label map as an RGB PNG (three times the bytes).
      .toColourspace('b-w')
      .png({ compressionLevel: MAP_PNG_LEVEL, palette: false })
      .toBuffer()
  );
}

/** Reads a label-map PNG back to ids. */
export async function decodeLabelMap(
  png: Buffer,
): Promise<{ width: number; height: number; ids: Uint8Array }> {
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    ids: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/** Fraction of the map's pixels per class name (only classes present). */
export function classAreas(ids: Uint8Array): Partial<Record<ParsingClass, number>> {
  const counts = new Map<number, number>();
  for (const v of ids) counts.set(v, (counts.get(v) ?? 0) + 1);
  const out: Partial<Record<ParsingClass, number>> = {};
  for (const [k, n] of counts) {
    const name = CELEBAMASK_HQ_CLASSES[k];
    if (name) out[name] = n / ids.length;
  }
  return out;
}
