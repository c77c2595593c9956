// Small faces: the demo photos shrunk onto a large grey canvas, where the whole-image pass (Human's) sees faces of
// a few detector pixels and only the small-face passes (the whole image again at half scale, then a quarter) can
// find them. Real models, real (shrunk) photos.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageAnalysis } from '../../../src/main/analysis';
import { smallFaceViews } from '../../../src/main/analysis/detect';
import { DEMO_FACE_BOXES } from '../../helpers/analysis/demo-faces';
import { boxIou, testAnalyzer, type TestAnalyzer } from '../../helpers/analysis/runtime';
import { DEMO_DIR, tempDir } from '../../helpers/fs';

const SHRINK = 4;
/** Three demo photos (1920 x 1280) at a quarter size, placed apart on a 1920 x 1280 canvas. */
const PLACED: [string, number, number][] = [
  ['sample4.jpg', 40, 60],
  ['sample5.jpg', 700, 500],
  ['sample6.jpg', 1300, 900],
];
/** Where their faces are on the canvas: the recorded boxes, shrunk and moved (13 faces, 40-70 pixels wide). */
const EXPECTED = PLACED.flatMap(([name, left, top]) =>
  DEMO_FACE_BOXES[name]!.map(([x, y, w, h]) => ({
    x: left + x / SHRINK,
    y: top + y / SHRINK,
    w: w / SHRINK,
    h: h / SHRINK,
  })),
);

const tmp = tempDir('fi-small-faces-');
let t: TestAnalyzer;
let canvas: string;
let withPasses: ImageAnalysis;
let wholeOnly: ImageAnalysis;

beforeAll(async () => {
  canvas = join(tmp.dir, 'crowd.png');
  const parts = await Promise.all(
    PLACED.map(async ([name, left, top]) => ({
      input: await sharp(join(DEMO_DIR, name))
        .resize(1920 / SHRINK)
        .toBuffer(),
      left,
      top,
    })),
  );
  await sharp({ create: { width: 1920, height: 1280, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    .composite(parts)
    .png()
    .toFile(canvas);
  t = await testAnalyzer(join(tmp.dir, 'data'));
  withPasses = await t.analyzer.analyze(canvas);
  wholeOnly = await t.make({ minFaceSize: 0 }).analyze(canvas);
});

afterAll(async () => {
  await t?.dispose();
  tmp.cleanup();
});

describe('small faces', () => {
  it('runs the whole image at half and at a quarter scale, in sizes the detector grid fits', () => {
    expect(smallFaceViews(1920, 1280, 40)).toEqual([
      { x: 0, y: 0, w: 1920, h: 1280, outW: 960, outH: 640, level: 1 },
      { x: 0, y: 0, w: 1920, h: 1280, outW: 480, outH: 320, level: 2 },
    ]);
    expect(smallFaceViews(256, 200, 40)).toEqual([]);
    // A large photo: level 1 in overlapping chunks of at most 1024 pixels a side, covering the whole image.
    const big = smallFaceViews(6000, 4000, 40).filter((v) => v.level === 1);
    expect(big.length).toBeGreaterThan(1);
    for (const v of big) expect(Math.max(v.outW, v.outH)).toBeLessThanOrEqual(1024);
    expect(Math.max(...big.map((v) => v.x + v.w))).toBe(6000);
    expect(Math.max(...big.map((v) => v.y + v.h))).toBe(4000);
  });

  it('finds with the small-face passes what the whole-image pass cannot', () => {
    expect(wholeOnly.faces.length).toBeLessThanOrEqual(8);
    expect(withPasses.faces.length).toBeGreaterThanOrEqual(12);
  });

  it('puts every face it finds on one of the shrunk faces, each at most once', () => {
    const matched = new Set<number>();
    for (const f of withPasses.faces) {
      const scores = EXPECTED.map((e) => boxIou(f.box, e));
      const best = scores.indexOf(Math.max(...scores));
      expect(scores[best], `face at ${Math.round(f.box.x)},${Math.round(f.box.y)}`).toBeGreaterThan(0.3);
      expect(matched.has(best)).toBe(false);
      matched.add(best);
    }
  });
});
