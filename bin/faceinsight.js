#!/usr/bin/env node
// The `faceinsight` command: runs the CLI built into out/main by `npm run build` (run by `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error(
    'faceinsight: out/main/cli.js is missing; run `npm run build` (npm ci does it in `prepare`).',
  );
  process.exit(2);
}
await import(pathToFileURL(cli).href);
