// `npm run bench -- models [--runs N] [--tfjs-runs N]`: ORT CPU latency of the bundled models beside TF.js (pure-JS CPU).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { readTfjsSource } from '../../src/main/models/convert';
import { loadGraphModel, tf } from '../../test/helpers/models/tfjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const modelsDir = join(root, 'resources', 'models');

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
const ORT_RUNS = flag('--runs', 30);
// TF.js on the pure-JS CPU backend takes seconds per batch on the larger models; a few runs give its order.
const TFJS_RUNS = flag('--tfjs-runs', 3);

interface Manifest {
  id: string;
  file: string;
  source: { package: string; path: string };
  inputs: { name: string; size: [number, number]; channels: number }[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function time(runs: number, fn: () => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const round = (x: number) => Math.round(x * 100) / 100;

async function main() {
  const manifests = readdirSync(modelsDir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .map((f) => JSON.parse(readFileSync(join(modelsDir, f), 'utf8')) as Manifest)
    .filter((m) => m.source && existsSync(join(modelsDir, m.file)));
  if (manifests.length === 0)
    throw new Error('no converted models in resources/models: run `npm run models` first');
  const results: Record<string, unknown> = {};
  console.log('model          batch  ORT median ms (runs)  TF.js median ms (runs)  TF.js / ORT');
  for (const m of manifests) {
    const spec = m.inputs[0]!;
    const per = spec.size[0] * spec.size[1] * spec.channels;
    const input = (batch: number) =>
      Float32Array.from({ length: batch * per }, (_, i) => ((i * 7919) % 1000) / 1000);
    const session = await ort.InferenceSession.create(join(modelsDir, m.file), {
      graphOptimizationLevel: 'all',
    });
    const source = readTfjsSource(join(root, 'node_modules', m.source.package, m.source.path));
    const model = await loadGraphModel(source.json, source.weightData);
    const row: Record<string, unknown> = {};
    for (const batch of [1, 8]) {
      const dims = [batch, spec.size[0], spec.size[1], spec.channels];
      const feed = { [spec.name]: new ort.Tensor('float32', input(batch), dims) };
      await time(3, () => session.run(feed)); // warm-up: first runs allocate and pick kernels
      const ortMs = median(await time(ORT_RUNS, () => session.run(feed)));
      // Graphs exported at batch 1 (blazeface, selfie) only take batch 1 in TF.js: time 8 runs of it instead.
      const fixedBatch = model.inputs[0]?.shape?.[0] === 1;
      const calls = fixedBatch ? batch : 1;
      const x = tf.tensor(
        input(fixedBatch ? 1 : batch),
        fixedBatch ? [1, ...dims.slice(1)] : dims,
        'float32',
      );
      const runTf = () => {
        for (let c = 0; c < calls; c++) {
          const out = model.execute(x);
          for (const t of Array.isArray(out) ? out : [out]) {
            t.dataSync();
            t.dispose();
          }
        }
      };
      if (batch === 1) runTf(); // warm-up once per model; batch 8 follows on a warm model
      const tfRuns = batch === 1 ? TFJS_RUNS : Math.max(1, Math.ceil(TFJS_RUNS / 3));
      const tfMs = median(await time(tfRuns, runTf));
      x.dispose();
      row[`batch${batch}`] = {
        ortMs: round(ortMs),
        ortRuns: ORT_RUNS,
        tfjsMs: round(tfMs),
        tfjsRuns: tfRuns,
        tfjsCalls: calls,
        speedup: round(tfMs / ortMs),
      };
      console.log(
        `${m.id.padEnd(14)} ${String(batch).padStart(5)}  ${ortMs.toFixed(2).padStart(10)} (${ORT_RUNS})  ${tfMs.toFixed(1).padStart(14)} (${tfRuns})  ${(tfMs / ortMs).toFixed(1).padStart(10)}x`,
      );
    }
    await session.release();
    model.dispose();
    results[m.id] = row;
  }
  const summary = {
    suite: 'models',
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ort: { version: ort.env.versions.common, provider: 'cpu', graphOptimizationLevel: 'all' },
    tfjs: { version: tf.version.tfjs, backend: tf.getBackend() },
    models: results,
  };
  console.log(JSON.stringify(summary));
}

main().catch((err: unknown) => {
  console.error(`bench models: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
