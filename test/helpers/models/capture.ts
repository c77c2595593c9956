// The inputs the app really feeds each model: the analysis pipeline run on CPU with every model input kept.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { analysisRuntime, createAnalyzer, type AnalysisRuntime } from '../../../src/main/analysis/index';
import { emotionInput } from '../../../src/main/analysis/heads';
import { loadRegistry, type ModelRegistry } from '../../../src/main/models/registry';
import { ModelRuntime } from '../../../src/main/models/runtime';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const DEMO_PHOTOS = [1, 2, 3, 4, 5, 6].map((i) =>
  join(ROOT, 'node_modules', '@vladmandic', 'face-api', 'demo', `sample${i}.jpg`),
);

/** Per model: the input's shape without the batch axis, and one float array per item (face, view or photo). */
export type Captured = Map<string, { name: string; dims: number[]; items: Float32Array[] }>;

/** Wraps a runtime so each single-input model run's input is kept, split into batch items, up to `max` per model. */
export function capturing(inner: AnalysisRuntime, captured: Captured, max = Infinity): AnalysisRuntime {
  return {
    ...inner,
    run: async (modelId, feeds) => {
      const entries = Object.entries(feeds);
      if (entries.length === 1) {
        const [name, feed] = entries[0]!;
        const entry = captured.get(modelId) ?? { name, dims: [...feed.dims.slice(1)], items: [] };
        captured.set(modelId, entry);
        const per = feed.data.length / feed.dims[0]!;
        for (let b = 0; b < feed.dims[0]! && entry.items.length < max; b++) {
          entry.items.push(feed.data.slice(b * per, (b + 1) * per));
        }
      }
      return inner.run(modelId, feeds);
    },
  };
}

/** Analyses the demo photos on CPU and returns every model's inputs (at most `max` items each) and the registry. */
export async function captureInputs(
  max = Infinity,
): Promise<{ captured: Captured; registry: ModelRegistry }> {
  const registry = await loadRegistry({ bundledDir: join(ROOT, 'resources', 'models') });
  const dataDir = mkdtempSync(join(tmpdir(), 'fi-capture-'));
  const runtime = new ModelRuntime({ registry, dataDir, provider: 'cpu' });
  const captured: Captured = new Map();
  try {
    // Every bundled model's inputs: mobilefacenet too, which the app runs only for datasets that train on it.
    const analyzer = createAnalyzer(capturing(analysisRuntime(runtime, registry), captured, max), {
      models: { mobilefacenet: true },
    });
    for (const photo of DEMO_PHOTOS) await analyzer.analyze(photo);
    // The default heads are face-api's; Human's emotion model (selectable) reads the same 192x192 crop facemesh
    // reads, so its inputs are made from those crops exactly as the pipeline would feed it.
    const mesh = captured.get('facemesh');
    if (mesh && !captured.has('emotion')) {
      const [height, width, channels] = mesh.dims as [number, number, number];
      captured.set('emotion', {
        name: 'input_1:0',
        dims: [64, 64, 1],
        items: mesh.items.map((data) => emotionInput({ width, height, channels, data }).data),
      });
    }
  } finally {
    await runtime.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { captured, registry };
}
