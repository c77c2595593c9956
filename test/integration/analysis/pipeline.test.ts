// The analysis pipeline on the face-api demo photos with the real models: detection, plausibility, parsing, bad input.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceResult, ImageAnalysis } from '../../../src/main/analysis';
import { decodeLabelMap, classAreas } from '../../../src/main/analysis/parsing';
import { copySamples, tempDir } from '../../helpers/fs';
import { DEMO_FACE_BOXES } from '../../helpers/analysis/demo-faces';
import { boxIou, cosine, prediction, testAnalyzer, type TestAnalyzer } from '../../helpers/analysis/runtime';

/**
 * Faces per photo, counted once by eye on the full-size photos (every visible face, profile or frontal, any size):
 * sample1 three women (left, centre looking down, right); sample2 three on a sofa; sample3 three on a sofa;
 * sample4 four standing; sample5 five on stairs; sample6 four standing.
 */
const HAND_COUNT = [3, 3, 3, 4, 5, 4];

const tmp = tempDir('fi-analysis-');
let photos: string[];
let t: TestAnalyzer;
const results: ImageAnalysis[] = [];

beforeAll(async () => {
  photos = copySamples(join(tmp.dir, 'photos'));
  t = await testAnalyzer(join(tmp.dir, 'data'));
  for (const p of photos) results.push(await t.analyzer.analyze(p));
});

afterAll(async () => {
  await t?.dispose();
  tmp.cleanup();
});

const allFaces = (): FaceResult[] => results.flatMap((r) => r.faces);

describe('detection', () => {
  it('finds as many faces per photo as counted by hand', () => {
    expect(results.map((r) => r.faces.length)).toEqual(HAND_COUNT);
  });

  it('finds each face where it was found before the small-face passes changed (box IoU >= 0.95)', () => {
    results.forEach((r, k) => {
      const want = DEMO_FACE_BOXES[photos[k]!.split('/').pop()!]!;
      expect(r.faces.length).toBe(want.length);
      for (const [x, y, w, h] of want) {
        const best = Math.max(...r.faces.map((f) => boxIou(f.box, { x, y, w, h })));
        expect(best, `${photos[k]} face at ${x},${y}`).toBeGreaterThanOrEqual(0.95);
      }
    });
  });

  it('keeps every box inside the image and every landmark inside (or on) its face box', () => {
    for (const r of results) {
      for (const f of r.faces) {
        expect(f.box.x).toBeGreaterThanOrEqual(0);
        expect(f.box.y).toBeGreaterThanOrEqual(0);
        expect(f.box.x + f.box.w).toBeLessThanOrEqual(r.width);
        expect(f.box.y + f.box.h).toBeLessThanOrEqual(r.height);
        expect(f.landmarks.length).toBe(468 * 3);
        for (let i = 0; i < 468; i++) {
          expect(f.landmarks[i * 3]!).toBeGreaterThanOrEqual(f.box.x - 0.5);
          expect(f.landmarks[i * 3]!).toBeLessThanOrEqual(f.box.x + f.box.w + 0.5);
          expect(f.landmarks[i * 3 + 1]!).toBeGreaterThanOrEqual(f.box.y - 0.5);
          expect(f.landmarks[i * 3 + 1]!).toBeLessThanOrEqual(f.box.y + f.box.h + 0.5);
        }
      }
    }
  });
});

describe('plausibility', () => {
  it('calls the three women of sample1 female and under 40', () => {
    for (const f of results[0]!.faces) {
      expect(prediction<{ label: string }>(f, 'gender').label).toBe('Female');
      expect(prediction<{ years: number }>(f, 'age').years).toBeLessThan(40);
    }
  });

  it('gives expression and race distributions that sum to 1, with the label at the maximum', () => {
    for (const f of allFaces()) {
      for (const task of ['expression', 'race']) {
        const v = prediction<{ label: string; probs: Record<string, number> }>(f, task);
        const ps = Object.values(v.probs);
        expect(ps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
        expect(v.probs[v.label]).toBe(Math.max(...ps));
      }
    }
  });

  it('stores every model output with its model id, version and source', () => {
    const f = allFaces()[0]!;
    const byTask = Object.fromEntries(f.predictions.map((p) => [p.task, p]));
    expect(byTask.gender).toMatchObject({
      modelId: 'faceapi-agegender',
      source: 'model',
      modelVersion: 'face-api-1.7.15',
    });
    expect(byTask.age?.modelId).toBe('faceapi-agegender');
    expect(byTask.race?.modelId).toBe('gear');
    expect(byTask.expression?.modelId).toBe('faceapi-expression');
    // Blurry is no longer derived (issue #28.7: 50 % balanced accuracy on CelebA).
    expect(byTask.Blurry).toBeUndefined();
    for (const a of ['Male', 'Young', 'Smiling', 'Mouth_Slightly_Open']) {
      expect(byTask[a]).toMatchObject({ source: 'derived' });
      const v = byTask[a]!.value as { value: number; p: number };
      expect([1, -1]).toContain(v.value);
      expect(v.value === 1).toBe(v.p >= 0.5);
    }
    // mobilefacenet only when asked (a dataset whose learning trains on it): see the next test.
    expect(f.embeddings.map((e) => [e.modelId, e.vector.length])).toEqual([['faceres', 1024]]);
  });

  it('embeds the same face alike at half resolution, and different faces of one photo less alike', async () => {
    const half = await sharp(photos[0]!).resize(960).jpeg({ quality: 95 }).toBuffer();
    const withMobilefacenet = t.make({ models: { mobilefacenet: true } });
    const small = await withMobilefacenet.analyze(half);
    const full = (await withMobilefacenet.analyze(photos[0]!)).faces;
    for (const f of full) {
      const id = f.embeddings.find((e) => e.modelId === 'mobilefacenet')!.vector;
      expect(id.length).toBe(192);
      expect(Math.hypot(...id)).toBeCloseTo(1, 4);
    }
    for (const model of ['mobilefacenet', 'faceres']) {
      const vec = (f: FaceResult) => f.embeddings.find((e) => e.modelId === model)!.vector;
      for (const f of full) {
        const scaled = { x: f.box.x / 2, y: f.box.y / 2, w: f.box.w / 2, h: f.box.h / 2 };
        const same = small.faces.find((s) => boxIou(s.box, scaled) > 0.5)!;
        expect(same).toBeDefined();
        const sameSim = cosine(vec(f), vec(same));
        expect(sameSim, `${model} same face`).toBeGreaterThan(0.8);
        for (const other of full) {
          if (other !== f)
            expect(cosine(vec(f), vec(other)), `${model} different faces`).toBeLessThan(sameSim);
        }
      }
    }
  });
});

describe('parsing map (derived)', () => {
  it('contains skin, both eyes, both brows, nose and lips on frontal faces, and hair on sample1', async () => {
    for (const [k, r] of results.entries()) {
      for (const f of r.faces) {
        expect(f.mask.source).toBe('derived');
        const map = await decodeLabelMap(f.mask.png);
        const areas = classAreas(map.ids);
        // Frontal enough that both eyes are visible: the crop was rotated less than 60 degrees.
        for (const c of ['skin', 'l_eye', 'r_eye', 'l_brow', 'r_brow', 'nose', 'u_lip', 'l_lip'] as const) {
          expect(areas[c], `${c} in sample${k + 1}`).toBeGreaterThan(0);
        }
        expect(Object.keys(areas).every((c) => f.mask.classes.includes(c))).toBe(true);
        if (k === 0) expect(areas.hair, 'hair in sample1').toBeGreaterThan(0.02);
      }
    }
  });

  it('writes a PNG that reads back identical', async () => {
    const f = results[0]!.faces[0]!;
    const file = join(tmp.dir, 'mask.png');
    writeFileSync(file, f.mask.png);
    const back = readFileSync(file);
    expect(back.equals(f.mask.png)).toBe(true);
    const a = await decodeLabelMap(f.mask.png);
    const b = await decodeLabelMap(back);
    expect(Buffer.from(b.ids).equals(Buffer.from(a.ids))).toBe(true);
    expect(a.width / a.height).toBeCloseTo(f.mask.box.w / f.mask.box.h, 1);
  });
});

describe('bad and unusual input', () => {
  it('reports a zero-byte file as a parse error', async () => {
    const file = join(tmp.dir, 'empty.jpg');
    writeFileSync(file, Buffer.alloc(0));
    await expect(t.analyzer.analyze(file)).rejects.toMatchObject({ code: 'parse_error', where: { file } });
    await expect(t.analyzer.analyze(Buffer.alloc(0))).rejects.toMatchObject({ code: 'parse_error' });
  });

  it('reports a truncated JPEG and a non-image as parse errors', async () => {
    const bytes = readFileSync(photos[0]!);
    const truncated = join(tmp.dir, 'truncated.jpg');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 3)));
    await expect(t.analyzer.analyze(truncated)).rejects.toMatchObject({ code: 'parse_error' });
    const text = join(tmp.dir, 'notes.jpg');
    writeFileSync(text, 'this is not an image\n');
    await expect(t.analyzer.analyze(text)).rejects.toMatchObject({ code: 'parse_error' });
  });

  it('reports a missing file as an io error', async () => {
    await expect(t.analyzer.analyze(join(tmp.dir, 'nope.jpg'))).rejects.toMatchObject({ code: 'io_error' });
  });

  it('analyses a 1x1 image to no faces', async () => {
    const one = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const r = await t.analyzer.analyze(one);
    expect(r).toMatchObject({ width: 1, height: 1, faces: [] });
  });

  it('finds the same faces in a CMYK JPEG and a 16-bit PNG', async () => {
    const cmyk = await sharp(photos[0]!).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const png16 = await sharp(photos[0]!).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    for (const input of [cmyk, png16]) {
      const r = await t.analyzer.analyze(input);
      expect(r.faces).toHaveLength(3);
      for (const f of results[0]!.faces) expect(r.faces.some((g) => boxIou(f.box, g.box) > 0.7)).toBe(true);
    }
  });

  it('applies EXIF orientation, so a sideways-stored photo yields its faces upright', async () => {
    // Pixels stored turned 90 degrees counter-clockwise, with orientation 6 ("rotate 90 clockwise to display").
    const stored = await sharp(photos[0]!)
      .rotate(270)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toBuffer();
    expect((await sharp(stored).metadata()).width).toBe(1280);
    const r = await t.analyzer.analyze(stored);
    expect([r.width, r.height]).toEqual([1920, 1280]);
    expect(r.faces).toHaveLength(3);
    for (const f of results[0]!.faces) expect(r.faces.some((g) => boxIou(f.box, g.box) > 0.7)).toBe(true);
  });

  it('analyses an imported box without the presence check, reusing the detection inside it', async () => {
    const f = results[0]!.faces[0]!;
    const r = await t.analyzer.analyzeFaces(photos[0]!, [f.box, { x: 0, y: 0, w: 40, h: 40 }]);
    expect(r.faces).toHaveLength(2);
    expect(r.faces[0]!.box).toEqual(f.box);
    expect(r.faces[0]!.crop).toEqual(f.crop);
    expect(prediction(r.faces[0]!, 'age')).toEqual(prediction(f, 'age'));
    expect(r.faces[1]!.detScore).toBe(0);
    expect(r.faces[1]!.predictions.length).toBe(f.predictions.length);
  });

  it('stops with a cancelled error when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(t.analyzer.analyze(photos[0]!, { signal: ac.signal })).rejects.toMatchObject({
      code: 'cancelled',
    });
  });
});
