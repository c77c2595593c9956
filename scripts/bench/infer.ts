// `npm run bench -- infer`: the inference bench that travels light. --prepare <dir> writes the bundled .onnx files
// and the uint8 inputs the app feeds each model on the demo photos, and builds out/bench/infer.js (plain Node, needs
// only onnxruntime-node); --with-runtime also copies that entry and onnxruntime-node into <dir>, so a GPU machine
// needs nothing but `node` (--vulkan-lib <libvulkan.so.1> adds a Vulkan loader). Without --prepare it prepares a temp folder and runs the entry here; other args pass on.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { captureInputs } from '../../test/helpers/models/capture';
import { BENCH_FORMAT, type BenchDecision, type BenchManifest, type BenchModel } from './infer/format';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ENTRY_OUT = join(ROOT, 'out', 'bench', 'infer.js');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Bundles the entry (and the detector's NMS it imports) into one ESM file; onnxruntime-node stays external. */
async function buildEntry(): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'scripts', 'bench', 'infer', 'entry.ts')],
    outfile: ENTRY_OUT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['onnxruntime-node'],
    banner: {
      js: '// Built by `npm run bench -- infer --prepare`: the inference bench, needs only onnxruntime-node.',
    },
    logLevel: 'warning',
  });
}

/** The affine map back from uint8 to the range the app uses for this model: 0..1, -1..1 or 0..255. */
function normalisation(items: Float32Array[]): BenchModel['normalisation'] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const it of items) {
    for (const v of it) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (lo < -1e-3) return { scale: 2 / 255, offset: -1, text: 'v / 127.5 - 1 (-1..1)' };
  if (hi > 1 + 1e-3) return { scale: 1, offset: 0, text: 'v (0..255)' };
  return { scale: 1 / 255, offset: 0, text: 'v / 255 (0..1)' };
}

function quantise(items: Float32Array[], n: BenchModel['normalisation']): Uint8Array {
  const per = items[0]!.length;
  const out = new Uint8Array(per * items.length);
  items.forEach((it, b) => {
    for (let k = 0; k < per; k++) {
      out[b * per + k] = Math.max(0, Math.min(255, Math.round((it[k]! - n.offset) / n.scale)));
    }
  });
  return out;
}

/** Argmax for probability rows, the count over the threshold the app uses for scores and mattes (like numerics). */
function decisionFor(id: string, outputs: Record<string, string>): BenchDecision {
  if (id === 'blazeface') return { kind: 'nms' };
  const list: Extract<BenchDecision, { kind: 'outputs' }>['outputs'] = [];
  for (const [name, meaning] of Object.entries(outputs)) {
    if (/^probabilities/.test(meaning)) list.push({ name, kind: 'argmax' });
    else if (/presence score/.test(meaning)) list.push({ name, kind: 'threshold', threshold: 0.2 });
    else if (/P\(|matte/.test(meaning)) list.push({ name, kind: 'threshold', threshold: 0.5 });
  }
  return { kind: 'outputs', outputs: list };
}

async function prepare(dir: string, maxItems: number): Promise<BenchManifest> {
  const { captured, registry } = await captureInputs(maxItems);
  mkdirSync(join(dir, 'models'), { recursive: true });
  mkdirSync(join(dir, 'crops'), { recursive: true });
  const models: BenchModel[] = [];
  for (const entry of registry.list().filter((e) => e.origin === 'bundled' && e.status === 'ready')) {
    const got = captured.get(entry.id);
    const input = entry.manifest.inputs[0]!;
    if (!got || got.items.length === 0 || entry.manifest.inputs.length !== 1) continue;
    const bytes = readFileSync(entry.modelPath);
    writeFileSync(join(dir, 'models', `${entry.id}.onnx`), bytes);
    const n = normalisation(got.items);
    writeFileSync(join(dir, 'crops', `${entry.id}.u8`), quantise(got.items, n));
    models.push({
      id: entry.id,
      version: entry.manifest.version,
      file: `models/${entry.id}.onnx`,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      input: { name: input.name, layout: input.layout, shape: got.dims, dtype: 'float32' },
      normalisation: n,
      crops: `crops/${entry.id}.u8`,
      items: got.items.length,
      unit: entry.id === 'blazeface' ? 'views' : entry.id === 'selfie' ? 'images' : 'faces',
      outputs: entry.manifest.outputs,
      decision: decisionFor(entry.id, entry.manifest.outputs),
    });
  }
  const manifest: BenchManifest = {
    format: BENCH_FORMAT,
    createdAt: new Date().toISOString(),
    source: '@vladmandic/face-api demo photos sample1..6, preprocessed by the app (src/main/analysis)',
    models,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Copies the built entry and onnxruntime-node (this platform's binaries only) into `dir`: then only `node` is needed. */
function withRuntime(dir: string): void {
  const platform = `${process.platform}/${process.arch}`;
  const nm = join(ROOT, 'node_modules');
  cpSync(ENTRY_OUT, join(dir, 'infer.js'));
  cpSync(join(ROOT, 'scripts', 'bench', 'infer', 'run.sh'), join(dir, 'run.sh'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }) + '\n');
  const ortNode = join(nm, 'onnxruntime-node');
  const to = join(dir, 'node_modules', 'onnxruntime-node');
  for (const part of ['package.json', 'dist', 'LICENSE', join('bin', 'napi-v6', platform)]) {
    try {
      cpSync(join(ortNode, part), join(to, part), { recursive: true });
    } catch (err) {
      if (part !== 'LICENSE') throw err; // the licence file is not in every release
    }
  }
  cpSync(join(nm, 'onnxruntime-common'), join(dir, 'node_modules', 'onnxruntime-common'), {
    recursive: true,
  });
}

async function main() {
  const target = option('--prepare');
  const maxItems = Number(option('--max-items') ?? 8);
  if (!Number.isInteger(maxItems) || maxItems < 1) throw new Error('--max-items takes a positive integer');
  const dir = target ? resolve(target) : mkdtempSync(join(tmpdir(), 'fi-infer-inputs-'));
  const t0 = performance.now();
  const manifest = await prepare(dir, maxItems);
  await buildEntry();
  if (process.argv.includes('--with-runtime')) withRuntime(dir);
  const vulkan = option('--vulkan-lib');
  if (vulkan) {
    // A Vulkan loader for a GPU machine without libvulkan1: run.sh puts <dir>/lib on LD_LIBRARY_PATH.
    mkdirSync(join(dir, 'lib'), { recursive: true });
    cpSync(vulkan, join(dir, 'lib', 'libvulkan.so.1'));
  }
  const summary = manifest.models.map((m) => `${m.id} ${m.items} ${m.unit}`).join(', ');
  console.log(
    `wrote ${dir} (${summary}) and ${ENTRY_OUT} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (target) {
    console.log(`run: node ${ENTRY_OUT} --inputs ${dir} --ep webgpu,cpu`);
    return;
  }
  // No folder given: run the bench here on the temp folder, passing the remaining arguments on.
  const skip = new Set(['--max-items', '--vulkan-lib']);
  const rest: string[] = [];
  for (let i = 2; i < process.argv.length; i++) {
    if (skip.has(process.argv[i]!)) i++;
    else if (process.argv[i] !== '--with-runtime') rest.push(process.argv[i]!);
  }
  const r = spawnSync(process.execPath, [ENTRY_OUT, '--inputs', dir, ...rest], { stdio: 'inherit' });
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = r.status ?? 1;
}

await main();
