// A real model runtime (bundled ONNX models, CPU) and analyzer for analysis tests.
import { join } from 'node:path';
import {
  createAnalyzer,
  analysisRuntime,
  type Analyzer,
  type AnalyzerOptions,
} from '../../../src/main/analysis';
import { loadRegistry } from '../../../src/main/models/registry';
import { ModelRuntime } from '../../../src/main/models/runtime';
import { ROOT } from '../fs';

export interface TestAnalyzer {
  analyzer: Analyzer;
  make(opts: AnalyzerOptions): Analyzer;
  dispose(): Promise<void>;
}

/** Loads the bundled models on CPU; `dataDir` only holds the runtime's provider cache. */
export async function testAnalyzer(dataDir: string, opts: AnalyzerOptions = {}): Promise<TestAnalyzer> {
  const registry = await loadRegistry({ bundledDir: join(ROOT, 'resources', 'models') });
  const runtime = new ModelRuntime({ registry, dataDir, provider: 'cpu' });
  const rt = analysisRuntime(runtime, registry);
  return {
    analyzer: createAnalyzer(rt, opts),
    make: (o) => createAnalyzer(rt, o),
    dispose: () => runtime.dispose(),
  };
}

export function prediction<T>(face: { predictions: { task: string; value: unknown }[] }, task: string): T {
  const p = face.predictions.find((x) => x.task === task);
  if (!p) throw new Error(`no ${task} prediction`);
  return p.value as T;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

export function boxIou(
  a: { x: number; y: number; w: number; h: number },
  b: { x: number; y: number; w: number; h: number },
): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  return inter / (a.w * a.h + b.w * b.h - inter);
}
