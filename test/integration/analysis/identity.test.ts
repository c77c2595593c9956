// Identity from the faceres descriptor centred on the dataset mean (issue #28.5), on the face-api demo photos.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterEmbeddings, IDENTITY_THRESHOLD } from '../../../src/main/learning/identity';
import { DEMO_DIR, SAMPLE_NAMES, tempDir } from '../../helpers/fs';
import { testAnalyzer, type TestAnalyzer } from '../../helpers/analysis/runtime';

/**
 * Looked at by eye: the woman on the right of sample1 (long straight blonde hair) is the one in the middle of
 * sample3. The faces of one photo are different people.
 */
const tmp = tempDir('fi-identity-');
let t: TestAnalyzer;
const faces: { photo: string; x: number; vector: Float32Array }[] = [];

beforeAll(async () => {
  t = await testAnalyzer(join(tmp.dir, 'data'));
  for (const photo of SAMPLE_NAMES) {
    for (const f of (await t.analyzer.analyze(join(DEMO_DIR, photo))).faces) {
      const v = f.embeddings.find((e) => e.modelId === 'faceres')!.vector;
      faces.push({ photo, x: f.box.x + f.box.w / 2, vector: Float32Array.from(v) });
    }
  }
});

afterAll(async () => {
  await t?.dispose();
  tmp.cleanup();
});

const pick = (photo: string, which: 'right' | 'middle') => {
  const of = faces.map((f, i) => ({ ...f, i })).filter((f) => f.photo === photo);
  of.sort((a, b) => a.x - b.x);
  return which === 'right' ? of[of.length - 1]!.i : of[Math.floor(of.length / 2)]!.i;
};

describe('identity clusters (faceres, centred)', () => {
  it('puts the same woman of two photos in one identity and keeps the people of each photo apart', async () => {
    expect(faces).toHaveLength(22);
    const d = faces[0]!.vector.length;
    const x = new Float32Array(faces.length * d);
    faces.forEach((f, i) => x.set(f.vector, i * d));
    const roots = await clusterEmbeddings(x, faces.length, d, IDENTITY_THRESHOLD);
    expect(roots[pick('sample1.jpg', 'right')]).toBe(roots[pick('sample3.jpg', 'middle')]);
    for (const photo of SAMPLE_NAMES) {
      const of = faces.flatMap((f, i) => (f.photo === photo ? [roots[i]] : []));
      expect(new Set(of).size, photo).toBe(of.length);
    }
  });
});
