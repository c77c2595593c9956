// The face crop every model reads, made as Human's facemeshutil.ts makes it (rotation correction on), and mesh mapping.
import { cropAndResize, type FloatRaster, type Raster, type Rotation } from './image-ops';
import type { CropBox } from './detect';

export const MESH_SIZE = 192;

/** Human's `normalizeRadians`. */
function normalizeRadians(angle: number): number {
  return angle - 2 * Math.PI * Math.floor((angle + Math.PI) / (2 * Math.PI));
}

/** Human's `computeRotation(p1, p2)`: the angle that makes the p1 -> p2 line vertical. */
export function computeRotation(p1: readonly number[], p2: readonly number[]): number {
  return normalizeRadians(Math.PI / 2 - Math.atan2(-(p2[1]! - p1[1]!), p2[0]! - p1[0]!));
}

/** Human rotates only when the face is tilted more than 0.2 rad (about 11.5 degrees). */
export const ROTATION_MIN = 0.2;

export interface FaceCrop {
  box: CropBox;
  /** Rotation applied (0 when below ROTATION_MIN). */
  angle: number;
  /** 192x192 RGB in 0..1: the facemesh input and the source of every head's input, as in Human. */
  tensor: FloatRaster;
}

/**
 * Human's `correctFaceRotation(rotate = true, box, input, 192)`: the angle of the mouth -> nose line of the
 * detector keypoints; past ROTATION_MIN the image is rotated about the box centre before `cutAndResize`.
 */
export function makeFaceCrop(
  image: Raster,
  box: CropBox,
  keypoints: readonly (readonly number[])[] | null,
): FaceCrop {
  let angle = 0;
  let rotation: Rotation | undefined;
  const mouth = keypoints?.[3];
  const nose = keypoints?.[2];
  if (mouth && nose) {
    angle = computeRotation(mouth, nose);
    if (angle !== 0 && Math.abs(angle) > ROTATION_MIN) {
      const cx = box.startX + (box.endX - box.startX) / 2;
      const cy = box.startY + (box.endY - box.startY) / 2;
      // tfjs passes the centre as a fraction and multiplies back; keep its rounding.
      rotation = {
        radians: angle,
        centerX: image.width * (cx / image.width),
        centerY: image.height * (cy / image.height),
      };
    } else {
      angle = 0;
    }
  }
  const cut = cropAndResize(
    image,
    [box.startY / image.height, box.startX / image.width, box.endY / image.height, box.endX / image.width],
    MESH_SIZE,
    MESH_SIZE,
    rotation,
    { divideBy: 255 },
  );
  return { box, angle, tensor: cut };
}

/**
 * Human's `transformRawCoords` without its final `Math.trunc` (we keep sub-pixel landmarks): crop coordinates
 * scaled about the crop centre, rotated back by the crop's angle, moved to the box centre in the image.
 */
export function meshToImage(raw: Float32Array, crop: FaceCrop): Float32Array {
  const { box, angle } = crop;
  const bw = Math.abs(box.endX - box.startX);
  const bh = Math.abs(box.endY - box.startY);
  const cx = box.startX + (box.endX - box.startX) / 2;
  const cy = box.startY + (box.endY - box.startY) / 2;
  const rotated = angle !== 0;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // Inverse of buildRotationMatrix(-angle, centre) applied to the centre is the centre itself.
  const out = new Float32Array(raw.length);
  for (let i = 0; i + 2 < raw.length; i += 3) {
    const sx = (bw / MESH_SIZE) * (raw[i]! - MESH_SIZE / 2);
    const sy = (bh / MESH_SIZE) * (raw[i + 1]! - MESH_SIZE / 2);
    const x = rotated ? sx * cos - sy * sin : sx;
    const y = rotated ? sx * sin + sy * cos : sy;
    out[i] = x + cx;
    out[i + 1] = y + cy;
    out[i + 2] = raw[i + 2]!;
  }
  return out;
}
