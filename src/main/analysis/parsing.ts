// Derived parsing map: facemesh polygons plus the selfie person matte, rasterised in CelebAMask-HQ class ids.
import sharp from 'sharp';
import {
  DERIVED_MASK_CLASSES,
  PARSING_CLASSES as CELEBAMASK_HQ_CLASSES,
  type ParsingClass,
} from '../../shared/taxonomy';

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

/** A person matte over the whole image (selfie output, 256x256, 1 = person). */
export interface Matte {
  size: number;
  data: Float32Array;
  imageWidth: number;
  imageHeight: number;
}

/** The matte at image pixel (x, y): TF's resizeBilinear of the 256x256 matte to the image size, read at one pixel. */
function matteAt(m: Matte, x: number, y: number): number {
  const sy = (m.size / m.imageHeight) * y;
  const sx = (m.size / m.imageWidth) * x;
  const y0 = Math.max(0, Math.floor(sy));
  const x0 = Math.max(0, Math.floor(sx));
  const y1 = Math.min(m.size - 1, Math.ceil(sy));
  const x1 = Math.min(m.size - 1, Math.ceil(sx));
  const fy = sy - y0;
  const fx = sx - x0;
  const d = m.data;
  const t = d[y0 * m.size + x0]! + (d[y0 * m.size + x1]! - d[y0 * m.size + x0]!) * fx;
  const b = d[y1 * m.size + x0]! + (d[y1 * m.size + x1]! - d[y1 * m.size + x0]!) * fx;
  return t + (b - t) * fy;
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

/**
 * Builds the derived map. Painting order (later wins): background; hair (matte > 0.5, inside the head ellipse,
 * above the jaw line through landmarks 172 / 397); neck (matte > 0.5, below the jaw line, inside the neck band);
 * skin (face oval); nose (hull of nose landmarks); brows; eyes; lips; inner mouth.
 */
export function derivedLabelMap(landmarks: Float32Array, matte: Matte | null, region: Box): LabelMap {
  const scale = Math.min(1, MAX_MASK_SIDE / Math.max(region.w, region.h));
  const width = Math.max(1, Math.round(region.w * scale));
  const height = Math.max(1, Math.round(region.h * scale));
  const map: LabelMap = { box: region, width, height, ids: new Uint8Array(width * height) };
  const sx = region.w / width;
  const sy = region.h / height;
  const f = faceFrame(landmarks);
  if (matte) {
    const hair = id('hair');
    const neck = id('neck');
    const ecV = -0.1 * f.halfHeight;
    const a = 1.6 * f.halfWidth;
    const b = 1.5 * f.halfHeight;
    for (let row = 0; row < height; row++) {
      const y = region.y + (row + 0.5) * sy;
      for (let col = 0; col < width; col++) {
        const x = region.x + (col + 0.5) * sx;
        const u = f.toU(x, y);
        const v = f.toV(x, y);
        if (v < f.jawV) {
          if ((u / a) ** 2 + ((v - ecV) / b) ** 2 > 1) continue;
          if (matteAt(matte, x, y) > 0.5) map.ids[row * width + col] = hair;
        } else if (Math.abs(u) < 0.75 * f.halfWidth && v < f.chinV + f.halfHeight) {
          if (matteAt(matte, x, y) > 0.5) map.ids[row * width + col] = neck;
        }
      }
    }
  }
  const toMap = (p: Point[]): Point[] => p.map(([x, y]) => [(x - region.x) / sx, (y - region.y) / sy]);
  const poly = (idx: readonly number[]) => toMap(pts(landmarks, idx));
  fillPolygon(map, poly(MESH_REGIONS.faceOval), id('skin'));
  fillPolygon(map, hull(poly(MESH_REGIONS.nose)), id('nose'));
  fillPolygon(map, poly(MESH_REGIONS.leftBrow), id('l_brow'));
  fillPolygon(map, poly(MESH_REGIONS.rightBrow), id('r_brow'));
  fillPolygon(map, poly(MESH_REGIONS.leftEye), id('l_eye'));
  fillPolygon(map, poly(MESH_REGIONS.rightEye), id('r_eye'));
  fillPolygon(map, poly(MESH_REGIONS.upperLip), id('u_lip'));
  fillPolygon(map, poly(MESH_REGIONS.lowerLip), id('l_lip'));
  fillPolygon(map, poly(MESH_REGIONS.innerMouth), id('mouth'));
  return map;
}

/** Single-channel 8-bit PNG of the ids (lossless: reading it back gives the same bytes). */
export async function encodeLabelMap(map: LabelMap): Promise<Buffer> {
  return (
    sharp(Buffer.from(map.ids.buffer, map.ids.byteOffset, map.ids.length), {
      raw: { width: map.width, height: map.height, channels: 1 },
    })
      // Without 'b-w' libvips writes the one-channel label map as an RGB PNG (three times the bytes).
      .toColourspace('b-w')
      .png({ compressionLevel: 9, palette: false })
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
