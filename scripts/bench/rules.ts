// `npm run bench -- rules`: default rules over 200,000 generated CelebA-like faces, one-face re-evaluation, co-occurrence.
import { readFileSync } from 'node:fs';
import { RuleSet, cooccurrence, rowsFromFacts, unusualScores } from '../../src/shared/rules';
import { CELEBA_ATTRIBUTES } from '../../src/shared/taxonomy';
import { celebaLikeTable } from '../../test/unit/shared/rules/celeba-like';

const FACES = Number(process.argv[2] ?? 200_000);
const text = readFileSync(new URL('../../resources/rules/default.rules', import.meta.url), 'utf8');
const rules = RuleSet.fromText(text, { file: 'default.rules' });

// One face in 37 carries an injected contradiction, so the pass also builds explanations and fixes.
let t = performance.now();
const { faces, injected } = celebaLikeTable(FACES, 1, 37);
const generateMs = performance.now() - t;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Full pass, as the reevaluate-rules job would run it: labels and the face's mask, fixes included.
const passes: number[] = [];
let violations = 0;
for (let rep = 0; rep < 3; rep++) {
  t = performance.now();
  violations = 0;
  for (const f of faces) violations += rules.evaluateFace({ labels: f, areas: f.areas }).length;
  passes.push((performance.now() - t) / 1000);
}
const fullPassSeconds = median(passes);

// Single edit: flip one label on a face that has predictions too, then re-evaluate that face with fixes.
const edits: number[] = [];
for (let i = 0; i < 5_000; i++) {
  const f = faces[(i * 7919) % faces.length]!;
  const values = { ...f.values, Bald: f.values.Bald === 1 ? -1 : 1 } as const;
  const s = performance.now();
  rules.evaluateFace({
    labels: { values },
    predictions: { values: { gender: 'Female', age: 44, expression: 'happy' }, confidence: { gender: 0.8 } },
    areas: f.areas,
  });
  edits.push((performance.now() - s) * 1000);
}
const singleEditMicros = median(edits.slice(500));

const rows = rowsFromFacts(faces, CELEBA_ATTRIBUTES);
const co: number[] = [];
let stats = cooccurrence(rows, CELEBA_ATTRIBUTES);
for (let rep = 0; rep < 5; rep++) {
  t = performance.now();
  stats = cooccurrence(rows, CELEBA_ATTRIBUTES);
  co.push(performance.now() - t);
}
const cooccurrenceMs = median(co);
t = performance.now();
const scores = unusualScores(stats, rows, 30);
const unusualScoresMs = performance.now() - t;

console.log(`rules: ${rules.rules.length}, faces: ${FACES} (generated in ${generateMs.toFixed(0)} ms)`);
console.log(
  `full pass: ${fullPassSeconds.toFixed(3)} s (${Math.round(FACES / fullPassSeconds)} faces/s), ${violations} violations, ${injected.length} injected`,
);
console.log(`single edit re-evaluation: median ${singleEditMicros.toFixed(1)} µs`);
console.log(
  `co-occurrence: ${cooccurrenceMs.toFixed(1)} ms; unusual scores: ${unusualScoresMs.toFixed(1)} ms (${scores.filter((x) => !Number.isNaN(x)).length} faces scored)`,
);
console.log(
  JSON.stringify({
    suite: 'rules',
    faces: FACES,
    rules: rules.rules.length,
    fullPassSeconds: +fullPassSeconds.toFixed(3),
    facesPerSecond: Math.round(FACES / fullPassSeconds),
    violations,
    singleEditMicros: +singleEditMicros.toFixed(1),
    cooccurrenceMs: +cooccurrenceMs.toFixed(1),
    unusualScoresMs: +unusualScoresMs.toFixed(1),
  }),
);
