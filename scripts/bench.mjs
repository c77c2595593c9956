#!/usr/bin/env node
// `npm run bench -- <suite>`: runs scripts/bench/<suite>.ts with tsx; each suite ends with one JSON line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./bench/', import.meta.url));
const suites = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const [suite, ...rest] = process.argv.slice(2);
if (!suite || !existsSync(`${dir}${suite}.ts`)) {
  console.error(`usage: npm run bench -- <suite> [args]\nsuites: ${suites.join(', ') || '(none)'}`);
  process.exit(2);
}
const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
const r = spawnSync(process.execPath, [tsx, `${dir}${suite}.ts`, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
