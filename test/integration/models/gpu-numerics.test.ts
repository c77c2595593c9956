// GPU vs CPU on real inputs: every bundled model's outputs on the demo faces within 1e-3 of the output scale, and
// the same decisions (argmax labels, thresholds, detections after NMS). Runs only where a hardware WebGPU adapter is.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { analysisRuntime, createAnalyzer, type ImageAnalysis } from '../../../src/main/analysis/index';
import { checkGpuAdapter, MODEL_TOLERANCE, probeProvider } from '../../../src/main/models/ep';
import type { ModelRegistry } from '../../../src/main/models/registry';
import { ModelRuntime } from '../../../src/main/models/runtime';
import { captureInputs, DEMO_PHOTOS, type Captured } from '../../helpers/models/capture';

const adapter = checkGpuAdapter('webgpu');
const probe = adapter.hardware ? await probeProvider('webgpu') : null;
const skipReason = !adapter.hardware
  ? `no hardware WebGPU adapter (${adapter.detail})`
  : probe && !probe.ok
    ? `WebGPU unusable here: ${probe.why}`
    : null;
if (skipReason) console.log(`GPU numerics test skipped: ${skipReason}`);

const MODELS = [
  'blazeface',
  'facemesh',
  'emotion',
  'gear',
  'faceres',
  'mobilefacenet',
  'selfie',
  'faceapi-agegender',
  'faceapi-expression',
];

function argmaxRows(data: Float32Array, row: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / row; r++) {
    let best = 0;
    for (let k = 1; k < row; k++) if (data[r * row + k]! > data[r * row + best]!) best = k;
    out.push(best);
  }
  return out;
}

/** Per item, the decision an output drives: argmax of probabilities, else which values pass the app's threshold. */
function decisions(meaning: string, data: Float32Array, items: number): number[] {
  const row = data.length / items;
  if (/^probabilities/.test(meaning)) return argmaxRows(data, row);
  const threshold = /presence/.test(meaning) ? 0.2 : /logits/.test(meaning) ? Math.log(0.2 / 0.8) : 0.5;
  if (/P\(|score|matte/.test(meaning)) return Array.from(data, (v) => (v > threshold ? 1 : 0));
  return [];
}

/** The app's decisions per face of one analysis: boxes (rounded), labels, gender. */
function summary(a: ImageAnalysis) {
  return a.faces.map((f) => ({
    box: [f.box.x, f.box.y, f.box.w, f.box.h].map((v) => Math.round(v)),
    labels: f.predictions
      .filter((p) => ['expression', 'race', 'gender'].includes(p.task))
      .map((p) => `${p.task}=${(p.value as { label?: string }).label}`)
      .sort(),
  }));
}

describe.skipIf(skipReason !== null)('WebGPU numerics against CPU', () => {
  let captured: Captured;
  let registry: ModelRegistry;

  beforeAll(async () => {
    ({ captured, registry } = await captureInputs());
  }, 300_000);

  it.each(MODELS)('%s matches CPU on the demo inputs within 1e-3 of the output scale', async (id) => {
    const input = captured.get(id)!;
    const entry = registry.get(id);
    const bytes = readFileSync(entry.modelPath);
    const n = input.items.length;
    const per = input.items[0]!.length;
    const data = new Float32Array(n * per);
    input.items.forEach((it, k) => data.set(it, k * per));
    const feeds = { [input.name]: new ort.Tensor('float32', data, [n, ...input.dims]) };
    const run = async (provider: string) => {
      const s = await ort.InferenceSession.create(bytes, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
      });
      try {
        return await s.run(feeds);
      } finally {
        await s.release();
      }
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    for (const [name, meaning] of Object.entries(entry.manifest.outputs)) {
      const c = cpu[name]!.data as Float32Array;
      const g = gpu[name]!.data as Float32Array;
      let scale = 0;
      let diff = 0;
      for (let k = 0; k < c.length; k++) {
        scale = Math.max(scale, Math.abs(c[k]!));
        diff = Math.max(diff, Math.abs(c[k]! - g[k]!));
      }
      console.log(
        `${id} ${name} (${n} items): max |gpu - cpu| ${diff.toExponential(2)}, scale ${scale.toExponential(2)}`,
      );
      expect(diff, `${id} ${name}`).toBeLessThanOrEqual(MODEL_TOLERANCE * Math.max(scale, 1e-6));
      expect(decisions(meaning, g, n), `${id} ${name} decisions`).toEqual(decisions(meaning, c, n));
    }
  });

  it('analyses every demo photo to the same faces, boxes and labels on webgpu as on CPU', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fi-gpu-'));
    const analyse = async (provider: 'cpu' | 'webgpu') => {
      const runtime = new ModelRuntime({ registry, dataDir, provider });
      const analyzer = createAnalyzer(analysisRuntime(runtime, registry));
      const out = [];
      for (const photo of DEMO_PHOTOS) out.push(summary(await analyzer.analyze(photo)));
      const loaded = await runtime.loadedModels();
      await runtime.dispose();
      return { out, loaded };
    };
    try {
      const cpu = await analyse('cpu');
      const gpu = await analyse('webgpu');
      // A model the GPU provider cannot run falls back to CPU per model: allowed, and shown here.
      for (const m of gpu.loaded) console.log(`${m.id}: ${m.provider} (${m.reason})`);
      expect(gpu.loaded.some((m) => m.provider === 'webgpu')).toBe(true);
      expect(gpu.out).toEqual(cpu.out);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
