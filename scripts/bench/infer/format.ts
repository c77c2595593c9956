// The folder `npm run bench -- infer --prepare` writes and out/bench/infer.js reads: manifest.json, models/, crops/.

/** Bumped when the layout changes, so an old folder is refused with a clear message. */
export const BENCH_FORMAT = 'faceinsight-infer-bench/1';

/** What the bench compares across providers, per item. */
export type BenchDecision =
  | { kind: 'nms' }
  | {
      kind: 'outputs';
      outputs: ({ name: string; kind: 'argmax' } | { name: string; kind: 'threshold'; threshold: number })[];
    };

export interface BenchModel {
  id: string;
  version: string;
  /** Relative to the folder: models/<id>.onnx. */
  file: string;
  sha256: string;
  input: { name: string; layout: 'NHWC' | 'NCHW'; shape: number[]; dtype: 'float32' };
  /** float = uint8 * scale + offset: the range the app feeds the model (0..1, -1..1 or 0..255). */
  normalisation: { scale: number; offset: number; text: string };
  /** Relative to the folder: crops/<id>.u8, `items` inputs of `shape` back to back. */
  crops: string;
  items: number;
  /** What one item is: a face crop, or a detector view of a whole photo. */
  unit: 'faces' | 'views' | 'images';
  outputs: Record<string, string>;
  decision: BenchDecision;
}

export interface BenchManifest {
  format: typeof BENCH_FORMAT;
  createdAt: string;
  source: string;
  models: BenchModel[];
}
