// Face-crop mode (issue #28.1) and imported boxes (#28.2) with the real models on demo faces cut tight with sharp.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceBox, ImageAnalysis } from '../../../src/main/analysis';
import { padImage } from '../../../src/main/analysis';
import { DEMO_DIR, tempDir } from '../../helpers/fs';
import { prediction, testAnalyzer, type TestAnalyzer } from '../../helpers/analysis/runtime';

/** The sizes of the crop datasets: FER 48x48, CelebA's 89x109 copies, UTKFace 200x200. */
const SIZES = [
  [48, 48],
  [89, 109],
  [200, 200],
] as const;

const tmp = tempDir('fi-face-crops-');
let t: TestAnalyzer;
/**
 * sample4's leftmost face: the normal pipeline finds it in none of the three crops; sample1's leftmost: twice in the
 * 200x200 crop (a second, overlapping detection passes the presence check).
 */
const crops: { name: string; bytes: Buffer; normal: ImageAnalysis }[] = [];

async function tightCrop(photo: string, box: FaceBox, w: number, h: number): Promise<Buffer> {
  return sharp(join(DEMO_DIR, photo))
    .extract({
      left: Math.round(box.x),
      top: Math.round(box.y),
      width: Math.round(box.w),
      height: Math.round(box.h),
    })
    .resize(w, h, { fit: 'fill' })
    .jpeg()
    .toBuffer();
}

beforeAll(async () => {
  t = await testAnalyzer(join(tmp.dir, 'data'));
  for (const photo of ['sample4.jpg', 'sample1.jpg']) {
    const faces = (await t.analyzer.analyze(join(DEMO_DIR, photo))).faces;
    const leftmost = faces.reduce((a, b) => (b.box.x < a.box.x ? b : a));
    for (const [w, h] of SIZES) {
      const bytes = await tightCrop(photo, leftmost.box, w, h);
      crops.push({ name: `${photo} ${w}x${h}`, bytes, normal: await t.analyzer.analyze(bytes) });
    }
  }
});

afterAll(async () => {
  await t?.dispose();
  tmp.cleanup();
});

describe('face-crop mode', () => {
  it('needs it: the normal pipeline misses some tight crops and finds another twice', () => {
    const counts = crops.map((c) => c.normal.faces.length);
    expect(counts).toEqual([0, 0, 0, 1, 1, 2]);
  });

  it('finds every tight crop once, as a detection, with its box and landmarks in the image', async () => {
    for (const c of crops) {
      const r = await t.analyzer.analyze(c.bytes, { faceCrop: true });
      expect(
        r.faces.map((f) => f.origin),
        c.name,
      ).toEqual(['detection']);
      const f = r.faces[0]!;
      expect(f.meshScore).toBeGreaterThan(0.5);
      expect(f.box.x).toBeGreaterThanOrEqual(0);
      expect(f.box.y).toBeGreaterThanOrEqual(0);
      expect(f.box.x + f.box.w).toBeLessThanOrEqual(r.width);
      expect(f.box.y + f.box.h).toBeLessThanOrEqual(r.height);
      // The face fills a tight crop: its landmarks cover most of the image.
      expect(f.box.w * f.box.h).toBeGreaterThan(0.4 * r.width * r.height);
      // The crop the models read is in the image's coordinates, around the image (it runs past the edges).
      expect(f.crop.x).toBeLessThan(0);
      expect(f.crop.x + f.crop.w).toBeGreaterThan(r.width);
      expect(prediction<{ crop?: string }>(f, 'gender').crop).toBeUndefined();
      expect(f.mask.png.length).toBeGreaterThan(0);
    }
  });

  it('takes the whole image as the face where nothing passes, marked whole-image', async () => {
    // A smooth gradient: no face anywhere.
    const raw = Buffer.alloc(64 * 64 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i / 3) % 64;
    const bytes = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    expect((await t.analyzer.analyze(bytes)).faces).toHaveLength(0);
    const r = await t.analyzer.analyze(bytes, { faceCrop: true });
    expect(r.faces).toHaveLength(1);
    const f = r.faces[0]!;
    expect(f.origin).toBe('whole-image');
    expect(f.box).toEqual({ x: 0, y: 0, w: 64, h: 64 });
    expect(f.detScore).toBe(0);
    for (const task of ['gender', 'age', 'race', 'expression']) {
      expect(prediction<{ crop?: string }>(f, task).crop).toBe('whole-image');
    }
  });

  it('pads with grey, the image in the middle', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i);
    const p = padImage({ width: 2, height: 3, channels: 3, data });
    expect([p.image.width, p.image.height, p.dx, p.dy]).toEqual([4, 7, 1, 2]);
    expect(p.image.data[0]).toBe(128);
    // Pixel (0, 0) of the image is at (1, 2) of the padded one.
    expect(Array.from(p.image.data.subarray((2 * 4 + 1) * 3, (2 * 4 + 1) * 3 + 6))).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
  });
});

describe('imported boxes', () => {
  it('reads a face from the better of its box and the detection inside it', async () => {
    // The whole 48x48 crop as an imported box. The detections of the unpadded image, every one kept
    // (minConfidence 0), are the crops the old code would have read; the face is read at least as present.
    const c = crops[0]!;
    const detections = (await t.analyzer.analyze(c.bytes, { minConfidence: 0 })).faces;
    const r = await t.analyzer.analyzeFaces(c.bytes, [{ x: 0, y: 0, w: 48, h: 48 }]);
    expect(r.faces).toHaveLength(1);
    const f = r.faces[0]!;
    expect(f.box).toEqual({ x: 0, y: 0, w: 48, h: 48 });
    for (const d of detections) expect(f.meshScore).toBeGreaterThanOrEqual(d.meshScore);
    expect(['detection', 'box']).toContain(f.origin);
  });
});
