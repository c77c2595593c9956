// Derived CelebA attributes: documented formulas over model outputs, mesh geometry and crop pixels.
import type { FloatRaster } from './image-ops';
import { sigmoid } from '../../shared/numeric';

/** The CelebA-shaped value: +1 / -1 with P(+1), and the inputs the formula read (so a reviewer can check it). */
export interface AttributeValue {
  value: 1 | -1;
  p: number;
  inputs: Record<string, number>;
}

export interface AttributeInputs {
  pMale: number;
  ageProbs: Float32Array;
  pHappy: number;
  /** 468 x (x, y, z) in image pixels. */
  landmarks: Float32Array;
  /** The 192x192 face crop (0..1); no formula reads its pixels since Blurry stopped (see below). */
  crop: FloatRaster;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

function attr(p: number, inputs: Record<string, number>): AttributeValue {
  const q = round(Math.min(1, Math.max(0, p)));
  return { value: q >= 0.5 ? 1 : -1, p: q, inputs };
}

function point(l: Float32Array, i: number): [number, number] {
  return [l[i * 3]!, l[i * 3 + 1]!];
}

function dist(a: [number, number], b: [number, number]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Age below which CelebA's `Young` counts as +1 here (CelebA gives no threshold; 35 splits its annotators' use). */
export const YOUNG_BELOW_YEARS = 35;

/**
 * Formulas (p = P(+1); value = +1 when p >= 0.5):
 * - Male: p = faceres P(Male).
 * - Young: p = sum of faceres' age probabilities for ages 0 .. YOUNG_BELOW_YEARS - 1.
 * - Mouth_Slightly_Open: gap = inner-lip distance (landmarks 13-14) / mouth width (61-291);
 *   p = sigmoid((gap - 0.06) / 0.02): closed lips measure ~0.0-0.02, a visibly parted mouth 0.1 and more.
 * - Smiling: lift = (mean y of inner-lip centre 13/14 - mean y of mouth corners 61/291) / mouth width, measured
 *   along the face's vertical (corners above the lip centre give lift > 0);
 *   p = 0.7 * P(happy) + 0.3 * sigmoid((lift - 0.03) / 0.02): the emotion model decides, geometry breaks near-ties.
 *
 * Blurry is not derived (issue #28.7): the Laplacian variance of the upscaled face crop scored 50 % balanced accuracy
 * on held-out CelebA (no better than a coin; on 89x109 images worse), and there is no labelled blur data here to
 * calibrate a resolution-normalised measure honestly. A dataset's own Blurry labels train a learned head instead.
 */
export function deriveAttributes(x: AttributeInputs): Record<string, AttributeValue> {
  const l = x.landmarks;
  let young = 0;
  for (let a = 0; a < YOUNG_BELOW_YEARS && a < x.ageProbs.length; a++) young += x.ageProbs[a]!;

  const left = point(l, 61);
  const right = point(l, 291);
  const upper = point(l, 13);
  const lower = point(l, 14);
  const width = dist(left, right) || 1;
  const gap = dist(upper, lower) / width;

  // The face's vertical: perpendicular to the outer eye corners line, pointing down the face.
  const eyeR = point(l, 33);
  const eyeL = point(l, 263);
  const eyeLen = dist(eyeR, eyeL) || 1;
  const ux = (eyeL[0] - eyeR[0]) / eyeLen;
  const uy = (eyeL[1] - eyeR[1]) / eyeLen;
  const down = (p: [number, number]) => -p[0] * uy + p[1] * ux;
  const lift = ((down(upper) + down(lower)) / 2 - (down(left) + down(right)) / 2) / width;

  return {
    Male: attr(x.pMale, { pMale: round(x.pMale) }),
    Young: attr(young, { pAgeBelow35: round(young) }),
    Mouth_Slightly_Open: attr(sigmoid((gap - 0.06) / 0.02), { lipGapRatio: round(gap) }),
    Smiling: attr(0.7 * x.pHappy + 0.3 * sigmoid((lift - 0.03) / 0.02), {
      pHappy: round(x.pHappy),
      cornerLift: round(lift),
    }),
  };
}
