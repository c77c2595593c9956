#!/usr/bin/env node
// Copies the six face-api demo photos into resources/samples/ ("Try the sample photos"); run by `npm run build`.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../node_modules/@vladmandic/face-api/demo/', import.meta.url));
const to = fileURLToPath(new URL('../resources/samples/', import.meta.url));
if (!existsSync(from)) {
  console.error('samples: @vladmandic/face-api is not installed (a devDependency); no sample photos bundled');
  process.exit(0);
}
mkdirSync(to, { recursive: true });
for (let i = 1; i <= 6; i++) {
  const name = `sample${i}.jpg`;
  if (!existsSync(to + name)) copyFileSync(from + name, to + name);
}
