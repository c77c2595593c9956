// The derived parsing map on real demo photos (real models): classes where they belong, hand-drawn reference IoU,
// smooth edges, and the colour logic (bald scalp = skin) on generated colours around real landmarks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceResult, ImageAnalysis } from '../../../src/main/analysis';
import {
  decodeLabelMap,
  derivedLabelMap,
  MESH_REGIONS,
  type Box,
  type LabelMap,
} from '../../../src/main/analysis/parsing';
import { PARSING_CLASSES, type ParsingClass } from '../../../src/shared/taxonomy';
import { copySamples, tempDir } from '../../helpers/fs';
import { testAnalyzer, type TestAnalyzer } from '../../helpers/analysis/runtime';

interface Reference {
  faces: { photo: string; order: string[]; polygons: Record<string, [number, number][]> }[];
}
const REFERENCE: Reference = JSON.parse(
  readFileSync(join(import.meta.dirname, 'parsing-reference.json'), 'utf8'),
);
const FACE_PARTS = new Set<string>([
  'skin',
  'nose',
  'l_eye',
  'r_eye',
  'l_brow',
  'r_brow',
  'mouth',
  'u_lip',
  'l_lip',
]);

const tmp = tempDir('fi-parsing-');
let t: TestAnalyzer;
const analyses = new Map<string, ImageAnalysis>();

beforeAll(async () => {
  const photos = copySamples(join(tmp.dir, 'photos'), ['sample1.jpg', 'sample6.jpg']);
  t = await testAnalyzer(join(tmp.dir, 'data'));
  for (const p of photos) analyses.set(p.split('/').pop()!, await t.analyzer.analyze(p));
});

afterAll(async () => {
  await t?.dispose();
  tmp.cleanup();
});

type Decoded = { face: FaceResult; box: Box; width: number; height: number; ids: Uint8Array };

async function maps(photo: string): Promise<Decoded[]> {
  const out: Decoded[] = [];
  for (const face of analyses.get(photo)!.faces) {
    out.push({ face, box: face.mask.box, ...(await decodeLabelMap(face.mask.png)) });
  }
  return out;
}

/** The class at image point (x, y) of a face's map. */
function classAt(m: Decoded, x: number, y: number): ParsingClass {
  const col = Math.floor(((x - m.box.x) / m.box.w) * m.width);
  const row = Math.floor(((y - m.box.y) / m.box.h) * m.height);
  return PARSING_CLASSES[m.ids[row * m.width + col]!]!;
}

const lm = (f: FaceResult, i: number): [number, number] => [f.landmarks[i * 3]!, f.landmarks[i * 3 + 1]!];
function centroid(f: FaceResult, idx: readonly number[]): [number, number] {
  const ps = idx.map((i) => lm(f, i));
  return [ps.reduce((s, p) => s + p[0], 0) / ps.length, ps.reduce((s, p) => s + p[1], 0) / ps.length];
}
/** A point `k` face heights (landmark 10 to chin 152) above landmark 10, along the face's own up direction. */
function aboveForehead(f: FaceResult, k: number): [number, number] {
  const [tx, ty] = lm(f, 10);
  const [cx, cy] = lm(f, 152);
  return [tx + (tx - cx) * k, ty + (ty - cy) * k];
}

describe('derived parsing map on the demo photos', () => {
  it('puts eyes inside the eye landmarks (subject-left as l_eye), skin at the cheeks, hair above the forehead', async () => {
    for (const m of await maps('sample1.jpg')) {
      expect(classAt(m, ...centroid(m.face, MESH_REGIONS.leftEye))).toBe('l_eye');
      expect(classAt(m, ...centroid(m.face, MESH_REGIONS.rightEye))).toBe('r_eye');
      // The subject's left eye lies on the side of landmark 263, away from 33.
      const [lx] = centroid(m.face, MESH_REGIONS.leftEye);
      expect(Math.abs(lx - lm(m.face, 263)[0])).toBeLessThan(Math.abs(lx - lm(m.face, 33)[0]));
      expect(classAt(m, ...lm(m.face, 50))).toBe('skin');
      expect(classAt(m, ...lm(m.face, 280))).toBe('skin');
      // All three women of sample1 have hair on top of the head.
      expect(classAt(m, ...aboveForehead(m.face, 0.3))).toBe('hair');
    }
  });

  it('draws forehead skin above the mesh outline up to the hairline (not hair right above landmark 10)', async () => {
    // sample1's left woman and sample6's second face show forehead above the mesh's top point.
    const [left] = await maps('sample1.jpg');
    expect(classAt(left!, ...aboveForehead(left!.face, 0.05))).toBe('skin');
    const six = await maps('sample6.jpg');
    const byX = [...six].sort((a, b) => a.face.box.x - b.face.box.x);
    expect(classAt(byX[2]!, ...aboveForehead(byX[2]!.face, 0.05))).toBe('skin');
  });

  it('leaves the map corners far from the head as background', async () => {
    for (const m of await maps('sample1.jpg')) {
      for (const [col, row] of [
        [2, 2],
        [m.width - 3, 2],
      ]) {
        expect(PARSING_CLASSES[m.ids[row! * m.width + col!]!]).toBe('background');
      }
    }
  });

  it('matches the hand-drawn reference: per-class IoU on two sample1 faces', async () => {
    const all = await maps('sample1.jpg');
    const iou: Record<string, [number, number]> = {};
    for (const ref of REFERENCE.faces) {
      const [fx, fy] = ref.polygons.face![0]!;
      const m = all.find((d) => {
        const b = d.face.box;
        return fx >= b.x - b.w && fx <= b.x + 2 * b.w && fy >= b.y - b.h && fy <= b.y + 2 * b.h;
      })!;
      expect(m).toBeDefined();
      for (let row = 0; row < m.height; row++) {
        for (let col = 0; col < m.width; col++) {
          const x = m.box.x + ((col + 0.5) * m.box.w) / m.width;
          const y = m.box.y + ((row + 0.5) * m.box.h) / m.height;
          let want = 'background';
          for (const c of ref.order) if (inPolygon(x, y, ref.polygons[c]!)) want = c;
          const c = PARSING_CLASSES[m.ids[row * m.width + col]!]!;
          const got = FACE_PARTS.has(c) ? 'face' : c;
          for (const k of new Set([want, got])) {
            const s = (iou[k] ??= [0, 0]);
            if (want === got) s[0]++;
            s[1]++;
          }
        }
      }
    }
    const score = (c: string) => iou[c]![0] / iou[c]![1];
    // The map before this method (mesh oval, hair = matte inside an ellipse, neck band): face 0.75, hair 0.24,
    // cloth 0 (not drawn), background 0.52 on these two faces.
    expect(score('face')).toBeGreaterThan(0.78);
    expect(score('hair')).toBeGreaterThan(0.45);
    expect(score('cloth')).toBeGreaterThan(0.5);
    expect(score('background')).toBeGreaterThan(0.7);
  });

  it('has smooth edges: no aligned 3x3 blocks all of one class (as an upscaled template would have)', async () => {
    for (const m of await maps('sample1.jpg')) {
      for (let oy = 0; oy < 3; oy++) {
        for (let ox = 0; ox < 3; ox++) {
          let mixed = 0;
          for (let by = oy; by + 3 <= m.height; by += 3) {
            for (let bx = ox; bx + 3 <= m.width; bx += 3) {
              const v = m.ids[by * m.width + bx];
              let same = true;
              for (let k = 0; k < 9 && same; k++)
                same = m.ids[(by + Math.floor(k / 3)) * m.width + bx + (k % 3)] === v;
              if (!same) mixed++;
            }
          }
          expect(mixed).toBeGreaterThan(0);
        }
      }
    }
  });
});

describe('derived parsing map colour logic (real landmarks, generated colours)', () => {
  /** Face-axis coordinates: v = 0 at landmark 10 and 1 at the chin (152), u across, in face heights. */
  function axes(face: FaceResult) {
    const [tx, ty] = lm(face, 10);
    const [cx, cy] = lm(face, 152);
    const l2 = (cx - tx) ** 2 + (cy - ty) ** 2;
    return (x: number, y: number) => ({
      u: ((x - tx) * (cy - ty) - (y - ty) * (cx - tx)) / l2,
      v: ((x - tx) * (cx - tx) + (y - ty) * (cy - ty)) / l2,
    });
  }
  /** A photo-sized image coloured by zone (null = background grey), plus noise; and the matte of the zones. */
  function paint(
    face: FaceResult,
    w: number,
    h: number,
    region: Box,
    zone: (u: number, v: number) => number[] | null,
  ) {
    const at = axes(face);
    const data = new Uint8Array(w * h * 3);
    let seed = 1;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 12;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const { u, v } = at(x, y);
        const c = zone(u, v) ?? [90, 90, 90];
        for (let k = 0; k < 3; k++) data[(y * w + x) * 3 + k] = Math.max(0, Math.min(255, c[k]! + noise()));
      }
    }
    const matte = new Float32Array(256 * 256);
    for (let my = 0; my < 256; my++) {
      for (let mx = 0; mx < 256; mx++) {
        const { u, v } = at(
          region.x + ((mx + 0.5) * region.w) / 256,
          region.y + ((my + 0.5) * region.h) / 256,
        );
        matte[my * 256 + mx] = zone(u, v) ? 1 : 0;
      }
    }
    return {
      image: { width: w, height: h, channels: 3, data },
      matte: { size: 256, data: matte, imageWidth: w, imageHeight: h, box: region },
    };
  }

  const SKIN = [200, 150, 125];
  const count = (m: LabelMap, c: ParsingClass, keep: (row: number) => boolean) => {
    let n = 0;
    for (let p = 0; p < m.ids.length; p++)
      if (keep(Math.floor(p / m.width)) && m.ids[p] === PARSING_CLASSES.indexOf(c)) n++;
    return n;
  };

  it('calls a bald scalp skin and a dark-haired scalp hair', async () => {
    const analysis = analyses.get('sample1.jpg')!;
    const face = analysis.faces[0]!;
    const { width: w, height: h } = analysis;
    const region = face.mask.box;
    const headTop = (row: number) => row < ((lm(face, 10)[1] - region.y) / region.h) * 0.8 * region.h;
    const head = (scalp: number[]) => (u: number, v: number) =>
      Math.abs(u) < 0.6 && v > -0.6 && v < 0 ? scalp : v >= 0 && Math.abs(u) < 0.8 ? SKIN : null;
    const b = paint(face, w, h, region, head(SKIN));
    const bald = derivedLabelMap(face.landmarks, b.matte, region, b.image);
    const d = paint(face, w, h, region, head([60, 40, 30]));
    const haired = derivedLabelMap(face.landmarks, d.matte, region, d.image);
    expect(count(bald, 'skin', headTop)).toBeGreaterThan(10 * count(bald, 'hair', headTop));
    expect(count(haired, 'hair', headTop)).toBeGreaterThan(10 * count(haired, 'skin', headTop));
  });
});

function inPolygon(x: number, y: number, poly: [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
