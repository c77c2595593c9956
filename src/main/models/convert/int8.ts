// Calibration for int8 convolutions: the float range each convolution's input and output takes on real inputs.
import * as ort from 'onnxruntime-node';
import { convertTfjsModel } from './index';
import { tensorName, type Int8Range } from './ops';
import type { TfjsSource } from './weights';

/** The largest value seen is widened by this much, so inputs a little beyond the calibration set still fit. */
export const INT8_HEADROOM = 1.1;
const CONV_OPS = new Set(['Conv2D', '_FusedConv2D']);

/** The items and, for each, its mirror image and a darker and a brighter copy (values clamped to at most 1). */
export function augmentForCalibration(
  items: Float32Array[],
  width: number,
  channels: number,
): Float32Array[] {
  const out: Float32Array[] = [];
  const rowLen = width * channels;
  for (const item of items) {
    const mirrored = new Float32Array(item.length);
    for (let row = 0; row < item.length / rowLen; row++) {
      for (let x = 0; x < width; x++) {
        const from = row * rowLen + (width - 1 - x) * channels;
        mirrored.set(item.subarray(from, from + channels), row * rowLen + x * channels);
      }
    }
    out.push(item, mirrored);
    for (const gain of [0.7, 1.3]) out.push(item.map((v) => Math.min(1, v * gain)));
  }
  return out;
}

const significant = (v: number) => Number(v.toPrecision(6));

/**
 * Runs the float model on `items` (NHWC, `dims` without the batch) and returns, per convolution (TF node name),
 * the min and max of its input and output; maxima (and negative minima) widened by INT8_HEADROOM, except a graph
 * input's, whose range its normalisation fixes.
 */
export async function measureInt8Ranges(
  source: Pick<TfjsSource, 'name' | 'json' | 'weightData'>,
  items: Float32Array[],
  dims: readonly [number, number, number],
): Promise<Record<string, Int8Range>> {
  const nodes = source.json.modelTopology.node;
  const convs = nodes.filter((n) => CONV_OPS.has(n.op));
  const placeholders = new Set(nodes.filter((n) => n.op === 'Placeholder').map((n) => n.name));
  // A graph input cannot be an extra output too: its range is read from the items themselves.
  const watched = [...new Set(convs.flatMap((n) => [tensorName(n.input![0]!), n.name]))].filter(
    (t) => !placeholders.has(t),
  );
  const min = new Map<string, number>();
  const max = new Map<string, number>();
  const seen = (name: string, values: Float32Array) => {
    let lo = min.get(name) ?? Infinity;
    let hi = max.get(name) ?? -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min.set(name, lo);
    max.set(name, hi);
  };
  for (const name of placeholders) for (const item of items) seen(name, item);
  const model = convertTfjsModel(source, { extraOutputs: watched });
  const session = await ort.InferenceSession.create(model.onnx, { executionProviders: ['cpu'] });
  try {
    const per = dims[0] * dims[1] * dims[2];
    for (let i = 0; i < items.length; i += 8) {
      const chunk = items.slice(i, i + 8);
      const data = new Float32Array(chunk.length * per);
      chunk.forEach((item, k) => data.set(item, k * per));
      const input = new ort.Tensor('float32', data, [chunk.length, ...dims]);
      const results = await session.run({ [session.inputNames[0]!]: input }, watched);
      for (const name of watched) seen(name, results[name]!.data as Float32Array);
    }
  } finally {
    await session.release();
  }
  const range = (name: string): [number, number] => {
    const lo = min.get(name)!;
    const hi = max.get(name)!;
    if (placeholders.has(name)) return [significant(lo), significant(hi)];
    return [significant(lo < 0 ? lo * INT8_HEADROOM : lo), significant(hi > 0 ? hi * INT8_HEADROOM : hi)];
  };
  return Object.fromEntries(
    convs.map((n) => [n.name, { input: range(tensorName(n.input![0]!)), output: range(n.name) }]),
  );
}
