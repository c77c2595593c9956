// A real face crop from the face-api demo photos: blazeface (converted ONNX) finds it, sharp crops and resizes it.
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

export const SAMPLE_PHOTO = fileURLToPath(
  new URL('../../../node_modules/@vladmandic/face-api/demo/sample1.jpg', import.meta.url),
);

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** RGB pixels of `file` (or a region of it) resized to size x size, as floats 0..1, NHWC. */
export async function rgbFloats(file: string, size: number, region?: Box): Promise<Float32Array> {
  let img = sharp(file).removeAlpha();
  if (region) img = img.extract(region);
  const raw = await img.resize(size, size, { fit: 'fill' }).raw().toBuffer();
  return Float32Array.from(raw, (v) => v / 255);
}

/** blazeface's 896 anchor centres in 256-pixel space: 16x16 cells x 2 at stride 16, then 8x8 cells x 6 at stride 32. */
function anchors(): [number, number][] {
  const out: [number, number][] = [];
  for (const [stride, perCell] of [
    [16, 2],
    [32, 6],
  ] as const) {
    const cells = 256 / stride;
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let k = 0; k < perCell; k++) out.push([(x + 0.5) * stride, (y + 0.5) * stride]);
      }
    }
  }
  return out;
}

/**
 * The most confident face in `file` (no NMS needed for one box): decoded as human's blazeface.ts does, then
 * enlarged 1.4x and squared like human's crop for the face models, clamped to the image.
 */
export async function detectFace(
  session: ort.InferenceSession,
  file: string,
): Promise<Box & { score: number }> {
  const { width = 0, height = 0 } = await sharp(file).metadata();
  const x = Float32Array.from(await rgbFloats(file, 256), (v) => v * 2 - 1);
  const res = await session.run({ 'input:0': new ort.Tensor('float32', x, [1, 256, 256, 3]) });
  const logits = [
    ...(res['Identity:0']!.data as Float32Array),
    ...(res['Identity_1:0']!.data as Float32Array),
  ];
  const regs512 = res['Identity_2:0']!.data as Float32Array;
  const regs384 = res['Identity_3:0']!.data as Float32Array;
  let best = 0;
  logits.forEach((l, i) => {
    if (l > logits[best]!) best = i;
  });
  const reg =
    best < 512
      ? regs512.subarray(best * 16, best * 16 + 4)
      : regs384.subarray((best - 512) * 16, (best - 512) * 16 + 4);
  const [ax, ay] = anchors()[best]!;
  const cx = ((ax + reg[0]!) / 256) * width;
  const cy = ((ay + reg[1]!) / 256) * height;
  const side = Math.max((reg[2]! / 256) * width, (reg[3]! / 256) * height) * 1.4;
  const left = Math.max(0, Math.round(cx - side / 2));
  const top = Math.max(0, Math.round(cy - side / 2));
  return {
    left,
    top,
    width: Math.min(width - left, Math.round(side)),
    height: Math.min(height - top, Math.round(side)),
    score: 1 / (1 + Math.exp(-logits[best]!)),
  };
}
