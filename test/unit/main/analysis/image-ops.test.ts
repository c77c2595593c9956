// Our TypeScript image ops against TF.js' own CPU kernels (the ones Human's preprocessing runs) on random images.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { affine, cropAndResize, resizeBilinear, type Raster } from '../../../../src/main/analysis/image-ops';
import { nonMaxSuppression } from '../../../../src/main/analysis/detect';

function random(width: number, height: number, channels = 3, seed = 1): Raster {
  let s = seed;
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s % 256;
  }
  return { width, height, channels, data };
}

const tensor = (r: Raster) => tf.tensor4d(Float32Array.from(r.data), [1, r.height, r.width, r.channels]);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('image ops match TF.js', () => {
  it('resizeBilinear (align corners off, half-pixel off), down and up', () => {
    const img = random(97, 61);
    for (const [h, w] of [
      [256, 256],
      [20, 33],
      [192, 64],
    ] as const) {
      const ours = resizeBilinear(img, h, w).data;
      const theirs = tf.image.resizeBilinear(tensor(img), [h, w]).dataSync();
      expect(maxDiff(ours, theirs)).toBeLessThan(1e-3);
    }
  });

  it('cropAndResize with boxes inside, across and outside the image', () => {
    const img = random(120, 90);
    for (const box of [
      [0.1, 0.2, 0.7, 0.8],
      [-0.2, -0.1, 0.6, 1.3],
      [0, 0.1, 0.9, 0.9],
    ] as [number, number, number, number][]) {
      const ours = cropAndResize(img, box, 48, 40).data;
      const theirs = tf.image.cropAndResize(tensor(img), [box], [0], [48, 40]).dataSync();
      expect(maxDiff(ours, theirs)).toBeLessThan(1e-3);
    }
  });

  it('reads a rotated image as rotateWithOffset followed by cropAndResize', () => {
    const img = random(80, 60);
    const box: [number, number, number, number] = [0.15, 0.2, 0.85, 0.75];
    for (const radians of [0.5, -1.1, 2.4]) {
      const center: [number, number] = [41.5 / 80, 27 / 60];
      const rotated = tf.image.rotateWithOffset(tensor(img), radians, 0, center);
      const theirs = tf.image.cropAndResize(rotated, [box], [0], [32, 32]).dataSync();
      const ours = cropAndResize(img, box, 32, 32, {
        radians,
        centerX: 80 * center[0],
        centerY: 60 * center[1],
      }).data;
      expect(maxDiff(ours, theirs)).toBeLessThan(1e-3);
    }
  });

  it('rescales as it stores: the same float32 values as the op followed by affine', () => {
    const img = random(150, 110);
    const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => Object.is(v, b[i]));
    for (const rotation of [undefined, { radians: 0.7, centerX: 61.5, centerY: 48 }]) {
      const box: [number, number, number, number] = [-0.05, 0.1, 0.8, 0.95];
      const fused = cropAndResize(img, box, 64, 64, rotation, { divideBy: 255 }).data;
      const plain = affine(cropAndResize(img, box, 64, 64, rotation), (v) => Math.fround(v / 255)).data;
      expect(same(fused, plain)).toBe(true);
    }
    const crop = cropAndResize(img, [0.1, 0.1, 0.9, 0.9], 96, 96, undefined, { divideBy: 255 });
    for (const size of [224, 112, 40]) {
      const fused = resizeBilinear(crop, size, size, { times: 255 }).data;
      const plain = affine(resizeBilinear(crop, size, size), (v) => Math.fround(v * 255)).data;
      expect(same(fused, plain)).toBe(true);
    }
  });

  it('non-max suppression keeps what tf.image.nonMaxSuppression keeps', () => {
    const boxes: number[][] = [];
    const scores: number[] = [];
    let s = 7;
    const next = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648);
    for (let i = 0; i < 60; i++) {
      const x = next() * 200;
      const y = next() * 200;
      const size = 10 + next() * 40;
      boxes.push([x, y, x + size, y + size]);
      scores.push(next());
    }
    const theirs = Array.from(
      tf.image.nonMaxSuppression(tf.tensor2d(boxes), tf.tensor1d(scores), 20, 0.1, 0.2).dataSync(),
    );
    expect(nonMaxSuppression(boxes, scores, 20, 0.1, 0.2)).toEqual(theirs);
  });
});
