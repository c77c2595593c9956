// `npm run bench -- learn`: 40 heads on 20,000 × 1024 generated embeddings for 20 epochs, then 200,000 predictions.
import { CELEBA_ATTRIBUTES } from '../../src/shared/taxonomy';
import { predictHeads, trainHeads } from '../../src/main/learning/heads';
import { metricsFor, subset } from '../../src/main/learning/evaluate';
import { linearAttributes } from '../../test/unit/main/learning/synthetic';

const TRAIN = Number(process.argv[2] ?? 20_000);
const PREDICT = Number(process.argv[3] ?? 200_000);
const D = 1024;
const keys = [...CELEBA_ATTRIBUTES];

let t = performance.now();
const data = linearAttributes(TRAIN + 5_000, D, keys, 11);
const generateSeconds = (performance.now() - t) / 1000;
const train = subset(
  data,
  new Int32Array(TRAIN).map((_, i) => i),
);
const held = subset(
  data,
  new Int32Array(5_000).map((_, i) => TRAIN + i),
);

t = performance.now();
const heads = await trainHeads(train, { epochs: 20 });
const trainSeconds = (performance.now() - t) / 1000;

// Held-out balanced accuracy of the synthetic set (its labels are linear in the embedding).
const p = predictHeads(heads, held.x, held.n);
const k = keys.length;
const scores = keys.map((key, c) => {
  const truth = new Int8Array(held.n).map((_, i) => held.y[i * k + c]!);
  const prob = new Float32Array(held.n).map((_, i) => p[i * k + c]!);
  return metricsFor(key, truth, prob, new Int8Array(held.n)).balancedAccuracy;
});
const balancedAccuracy = scores.reduce((a, b) => a + b, 0) / scores.length;

// Prediction over PREDICT faces: the training rows tiled (the speed does not depend on the values).
const big = new Float32Array(PREDICT * D);
for (let s = 0; s < PREDICT; s += TRAIN)
  big.set(train.x.subarray(0, Math.min(TRAIN, PREDICT - s) * D), s * D);
t = performance.now();
predictHeads(heads, big, PREDICT);
const predictSeconds = (performance.now() - t) / 1000;

console.log(`generated ${TRAIN + 5_000} × ${D} in ${generateSeconds.toFixed(1)} s`);
console.log(`train: ${keys.length} heads, ${TRAIN} faces, 20 epochs: ${trainSeconds.toFixed(2)} s`);
console.log(`predict: ${PREDICT} faces: ${predictSeconds.toFixed(2)} s`);
console.log(`held-out balanced accuracy: ${(balancedAccuracy * 100).toFixed(2)} %`);
console.log(
  JSON.stringify({
    trainFaces: TRAIN,
    dims: D,
    heads: keys.length,
    epochs: 20,
    trainSeconds: +trainSeconds.toFixed(3),
    predictFaces: PREDICT,
    predictSeconds: +predictSeconds.toFixed(3),
    balancedAccuracy: +balancedAccuracy.toFixed(4),
  }),
);
