// `npm run bench -- label-errors [faces] [dims] [noise]`: held-out heads + confident learning on generated
// embeddings with one planted label flip on `noise` of the faces; how many flips the "likely wrong" order finds.
import { CELEBA_ATTRIBUTES } from '../../src/shared/taxonomy';
import { auditSet, binarySpecs } from '../../src/main/learning/label-issues';
import { trainHeads } from '../../src/main/learning/heads';
import { linearAttributes, plantFlips } from '../../test/unit/main/learning/synthetic';

const N = Number(process.argv[2] ?? 20_000);
const D = Number(process.argv[3] ?? 128);
const NOISE = Number(process.argv[4] ?? 0.1);
const FOLDS = 5;
const EPOCHS = Number(process.env.EPOCHS ?? 20);
const keys = [...CELEBA_ATTRIBUTES];

let t = performance.now();
const data = linearAttributes(N, D, keys, 11);
const flips = plantFlips(data, NOISE, 12);
const generateSeconds = (performance.now() - t) / 1000;

t = performance.now();
let fits = 0;
const { order, cl } = await auditSet(data, binarySpecs(data), {
  folds: FOLDS,
  seed: 1,
  lambda: 0,
  clauses: null,
  train: { epochs: EPOCHS, ...(process.env.L2 ? { l2: Number(process.env.L2) } : {}) },
  trainer: async (set, opts) => {
    const h = await trainHeads(set, opts);
    console.log(`fold ${++fits} / ${FOLDS}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    return h;
  },
});
const trainSeconds = (performance.now() - t) / 1000;

const flipped = new Map(flips.map((f) => [f.row, keys[f.col]!]));
const recallAt = (share: number) => {
  const top = order.slice(0, Math.round(N * share));
  return top.filter((f) => flipped.has(f.row)).length / flipped.size;
};
const top100 = order.slice(0, 100);
const precision100 = top100.filter((f) => flipped.has(f.row)).length / top100.length;
const found = order.slice(0, Math.round(N * 0.1)).filter((f) => flipped.has(f.row));
const keyNamed = found.filter((f) => flipped.get(f.row) === f.key).length / Math.max(1, found.length);
const suspects = cl.noise.reduce((a, k) => a + k.suspects, 0);
const estimated = cl.noise.reduce((a, k) => a + k.estimatedWrong, 0);

console.log(
  `generated ${N} × ${D}, ${keys.length} attributes, ${flips.length} flipped labels in ${generateSeconds.toFixed(1)} s`,
);
console.log(`held-out heads: ${FOLDS} folds × ${EPOCHS} epochs in ${trainSeconds.toFixed(2)} s`);
console.log(
  `recall@10 % ${(recallAt(0.1) * 100).toFixed(1)} %, recall@20 % ${(recallAt(0.2) * 100).toFixed(1)} %, precision of the top 100 ${(precision100 * 100).toFixed(0)} %`,
);
console.log(
  `confident joint: ${estimated.toFixed(0)} labels estimated wrong (${flips.length} planted), ${suspects} suspects`,
);
console.log(
  JSON.stringify({
    faces: N,
    dims: D,
    keys: keys.length,
    noise: NOISE,
    flipped: flips.length,
    folds: FOLDS,
    epochs: EPOCHS,
    trainSeconds: +trainSeconds.toFixed(2),
    recallAt10: +recallAt(0.1).toFixed(4),
    recallAt20: +recallAt(0.2).toFixed(4),
    precisionTop100: +precision100.toFixed(4),
    flippedKeyNamed: +keyNamed.toFixed(4),
    estimatedWrong: Math.round(estimated),
    suspects,
  }),
);
