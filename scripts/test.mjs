#!/usr/bin/env node
// `npm test`: typecheck, lint, unit, integration, e2e in order; prints each stage's duration and a total count.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const only = process.argv.slice(2);
const vitest = (project) => [
  'npx',
  'vitest',
  'run',
  '--project',
  project,
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=test-results/${project}.json`,
];
const stages = [
  ['typecheck', ['npm', 'run', '--silent', 'typecheck']],
  ['lint', ['npm', 'run', '--silent', 'lint']],
  ['unit', vitest('unit')],
  ['integration', vitest('integration')],
  ['build', ['npm', 'run', '--silent', 'build']],
  ['e2e', vitest('e2e')],
].filter(([name]) => only.length === 0 || only.includes(name));

mkdirSync('test-results', { recursive: true });
const times = [];
let failedStage = null;
for (const [name, [cmd, ...args]] of stages) {
  console.log(`\n=== ${name}: ${[cmd, ...args].join(' ')}`);
  const start = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  const seconds = (Date.now() - start) / 1000;
  times.push({ name, seconds, ok: r.status === 0 });
  console.log(`=== ${name}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${seconds.toFixed(1)} s`);
  if (r.status !== 0) {
    failedStage = name;
    break;
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const project of ['unit', 'integration', 'e2e']) {
  const file = `test-results/${project}.json`;
  if (!existsSync(file) || !times.some((t) => t.name === project)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
console.log('\nstage durations:');
for (const t of times)
  console.log(`  ${t.name.padEnd(12)} ${t.seconds.toFixed(1).padStart(7)} s  ${t.ok ? 'ok' : 'FAILED'}`);
console.log(
  `  ${'total'.padEnd(12)} ${times
    .reduce((s, t) => s + t.seconds, 0)
    .toFixed(1)
    .padStart(7)} s`,
);
if (failedStage) console.log(`stage "${failedStage}" failed`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failedStage ? 1 : 0);
