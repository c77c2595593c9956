#!/usr/bin/env node
// `npm start`: the Electron app when its binary is installed, else browser mode (`faceinsight serve`).
// `node scripts/start.mjs --prepare-native` only builds the Electron-ABI better-sqlite3 (used by `npm run dist`).
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** Environment variable electron/app.ts and the store read: absolute path of the Electron-ABI better_sqlite3.node. */
export const SQLITE_BINDING_ENV = 'FACEINSIGHT_SQLITE_BINDING';
/** Where the Electron-ABI copy of better-sqlite3 is built, apart from node_modules (whose build `npm test` loads). */
export const NATIVE_DIR = join(root, '.electron-native');
const NATIVE_PKG = join(NATIVE_DIR, 'node_modules', 'better-sqlite3');
export const NATIVE_BINDING = join(NATIVE_PKG, 'build', 'Release', 'better_sqlite3.node');
export const NO_ELECTRON_LINE =
  'Electron binary not installed (node_modules/electron/dist missing); starting browser mode instead.';

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * The Electron executable, found without `require('electron')` (which downloads the binary when it is missing,
 * and fails without internet): node_modules/electron/path.txt names it relative to dist/ (or to
 * ELECTRON_OVERRIDE_DIST_PATH, which electron's own index.js honours too). Null when it is not there.
 */
export function findElectronBinary(dir = root, env = process.env) {
  const pkgDir = join(dir, 'node_modules', 'electron');
  let rel;
  try {
    rel = readFileSync(join(pkgDir, 'path.txt'), 'utf8').trim();
  } catch {
    // No path.txt: the binary was never downloaded.
    return null;
  }
  if (!rel) return null;
  const bin = join(env.ELECTRON_OVERRIDE_DIST_PATH || join(pkgDir, 'dist'), rel);
  return existsSync(bin) ? bin : null;
}

function newestMtime(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** out/ is stale when an output is missing or any source or build config is newer than the oldest output. */
export function outIsStale(dir = root) {
  const outputs = ['out/main/index.js', 'out/main/cli.js', 'out/main/job-runner.js', 'out/preload/index.cjs'];
  outputs.push('out/renderer/index.html');
  let oldest = Infinity;
  for (const rel of outputs) {
    const st = statSync(join(dir, rel), { throwIfNoEntry: false });
    if (!st) return true;
    oldest = Math.min(oldest, st.mtimeMs);
  }
  const inputs = ['src', 'electron.vite.config.ts', 'svelte.config.js', 'package.json'];
  return inputs.some((rel) => newestMtime(join(dir, rel)) > oldest);
}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (res.error) throw res.error;
  if (res.status !== 0)
    throw new Error(`${relative(root, cmd) || cmd} ${args.join(' ')} exited with ${res.status}`);
}

/**
 * Rebuilds out/ when sources changed since the last build. A failed rebuild falls back to the previous build when
 * there is one (the error is shown), so a half-edited source tree still starts.
 */
export function buildIfStale() {
  if (!outIsStale()) return;
  console.error('Building the app (out/ is missing or older than src/)...');
  const pkg = readJson(require.resolve('electron-vite/package.json'));
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin['electron-vite'];
  try {
    // The build's chatter goes to stderr: stdout stays for the one status line and the URL.
    run(process.execPath, [join(root, 'node_modules', 'electron-vite', bin), 'build'], {
      stdio: ['ignore', 2, 2],
    });
  } catch (err) {
    if (!existsSync(join(root, 'out', 'main', 'cli.js'))) throw err;
    console.error(`Build failed (${err instanceof Error ? err.message : err}); starting the previous build.`);
  }
}

/**
 * Loads `binding` in a fresh process and says whether it is built for Electron's ABI. With the Electron binary the
 * check is direct (Electron run as Node must load it); without it, Node must refuse it, naming Electron's
 * NODE_MODULE_VERSION, since a binding Node loads fine is the silent Node-ABI build (docs/packaging.md).
 */
export function checkElectronAbi(binding, electronBin) {
  const code = `require(${JSON.stringify(binding)})`;
  if (electronBin) {
    const res = spawnSync(electronBin, ['-e', code], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      encoding: 'utf8',
    });
    return res.status === 0
      ? { ok: true }
      : { ok: false, why: (res.stderr || res.error?.message || '').trim() };
  }
  const abi = readFileSync(join(root, 'node_modules', 'electron', 'abi_version'), 'utf8').trim();
  const res = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  if (res.status === 0)
    return { ok: false, why: `${binding} loads in Node ${process.version}: it is not built for Electron` };
  if (res.stderr.includes(`NODE_MODULE_VERSION ${abi}.`)) return { ok: true };
  return { ok: false, why: res.stderr.trim().split('\n').slice(0, 6).join('\n') };
}

/**
 * Builds better-sqlite3 for Electron's ABI in .electron-native/ (a copy of the package, so node_modules keeps the
 * Node-ABI build that `npm test` and the CLI load), unless a build for the same Electron and better-sqlite3 versions
 * is there and passes the ABI check. @electron/rebuild tries the published prebuild first, then compiles with
 * Electron's headers. Returns the binding's absolute path; throws with the reason when it cannot.
 */
export async function prepareNative(electronBin) {
  const want = {
    electron: readJson(join(root, 'node_modules', 'electron', 'package.json')).version,
    betterSqlite3: readJson(join(root, 'node_modules', 'better-sqlite3', 'package.json')).version,
    platform: process.platform,
    arch: process.arch,
  };
  const stampFile = join(NATIVE_DIR, 'stamp.json');
  if (existsSync(stampFile) && existsSync(NATIVE_BINDING)) {
    const have = readJson(stampFile);
    const same = Object.entries(want).every(([k, v]) => have[k] === v);
    if (same && checkElectronAbi(NATIVE_BINDING, electronBin).ok) return NATIVE_BINDING;
  }
  console.error(
    `Building better-sqlite3 ${want.betterSqlite3} for Electron ${want.electron} in ${relative(root, NATIVE_DIR)}/ ...`,
  );
  rmSync(NATIVE_DIR, { recursive: true, force: true });
  mkdirSync(NATIVE_PKG, { recursive: true });
  const source = join(root, 'node_modules', 'better-sqlite3');
  const buildDir = join(source, 'build');
  cpSync(source, NATIVE_PKG, {
    recursive: true,
    filter: (src) => src !== buildDir && !src.startsWith(buildDir + sep),
  });
  writeFileSync(
    join(NATIVE_DIR, 'package.json'),
    JSON.stringify(
      {
        name: 'faceinsight-electron-native',
        private: true,
        dependencies: { 'better-sqlite3': want.betterSqlite3 },
      },
      null,
      2,
    ) + '\n',
  );
  // npm hands its config to scripts as npm_config_*; a `nodedir` there points node-gyp at Node's own headers and
  // yields a Node-ABI binary that "succeeds" (docs/packaging.md). Electron's headers must win.
  for (const key of Object.keys(process.env))
    if (key.toLowerCase() === 'npm_config_nodedir') delete process.env[key];
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({
    buildPath: NATIVE_DIR,
    electronVersion: want.electron,
    arch: process.arch,
    onlyModules: ['better-sqlite3'],
    force: true,
    mode: 'sequential',
  });
  if (!existsSync(NATIVE_BINDING)) throw new Error(`the rebuild left no ${relative(root, NATIVE_BINDING)}`);
  const check = checkElectronAbi(NATIVE_BINDING, electronBin);
  if (!check.ok) throw new Error(`the rebuilt better-sqlite3 is not usable by Electron:\n${check.why}`);
  writeFileSync(stampFile, JSON.stringify(want, null, 2) + '\n');
  return NATIVE_BINDING;
}

/**
 * Runs a child with our stdio, passes Ctrl-C / SIGTERM on to it, and exits with its status. On POSIX the child gets
 * its own process group: a terminal's Ctrl-C then reaches it once (forwarded by us), not twice, and a second SIGINT
 * cannot cut its graceful shutdown short.
 */
function handOver(cmd, args, env) {
  const child = spawn(cmd, args, {
    stdio: 'inherit',
    cwd: root,
    env,
    detached: process.platform !== 'win32',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('error', (err) => {
    console.error(`could not start ${cmd}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}

function startBrowserMode(args) {
  handOver(process.execPath, [join(root, 'bin', 'faceinsight.js'), 'serve', ...args], process.env);
}

async function main(argv) {
  const prepareOnly = argv.includes('--prepare-native');
  const args = argv.filter((a) => a !== '--prepare-native');
  const electronBin = findElectronBinary();
  if (prepareOnly) {
    console.log(await prepareNative(electronBin));
    return;
  }
  if (!electronBin) {
    console.log(NO_ELECTRON_LINE);
    buildIfStale();
    startBrowserMode(args);
    return;
  }
  buildIfStale();
  let binding;
  try {
    binding = await prepareNative(electronBin);
  } catch (err) {
    console.error(`Could not build better-sqlite3 for Electron: ${err instanceof Error ? err.message : err}`);
    console.log('Electron cannot open the database (see above); starting browser mode instead.');
    startBrowserMode(args);
    return;
  }
  const env = { ...process.env, [SQLITE_BINDING_ENV]: binding };
  // Set in some shells and CI images; it would make the binary behave as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  handOver(electronBin, [root, ...args], env);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
