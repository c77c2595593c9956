// What the analysis pipeline needs from the model runtime; src/main/models/runtime.ts's ModelRuntime satisfies it.
import type { ModelRuntime } from '../models/runtime';
import type { ModelRegistry } from '../models/registry';

/** A tensor as plain data (NHWC for every bundled model). */
export interface Tensor {
  data: Float32Array | Uint8Array | Int32Array | BigInt64Array;
  dims: readonly number[];
}

/** Model inputs as the analyzer builds them: float32 NHWC batches. */
export type FloatFeeds = Record<string, { data: Float32Array; dims: readonly number[] }>;

export interface AnalysisRuntime {
  /** One run of `modelId`; any batch size the model accepts. */
  run(modelId: string, feeds: FloatFeeds): Promise<Record<string, Tensor>>;
  /** The manifest version stored with every prediction. */
  modelVersion(modelId: string): string;
  /** Whether a model is registered (a user's face-parsing model, for instance). */
  hasModel(modelId: string): boolean;
}

/** No further split: the analyzer's batcher already sizes every run (its `batchSize`). */
const UNSPLIT = 2 ** 30;

/**
 * Adapts the app's runtime and registry. Runs go through `runBatched`, so a model that hard-codes batch 1 still takes
 * the pipeline's batches (one face per item).
 */
export function analysisRuntime(runtime: ModelRuntime, registry: ModelRegistry): AnalysisRuntime {
  return {
    run: (modelId, feeds) => runtime.runBatched(modelId, feeds, UNSPLIT),
    modelVersion: (modelId) => registry.get(modelId).manifest.version,
    hasModel: (modelId) => registry.has(modelId),
  };
}
