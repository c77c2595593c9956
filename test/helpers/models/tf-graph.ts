// Builds small TF.js graph models in memory (model.json + weights) so converter tests can run them in TF.js and ORT.
import * as ort from 'onnxruntime-node';
import type { TfAttr, TfNode, TfjsModelJson, WeightSpec } from '../../../src/main/models/convert/weights';

export type Quantize = 'uint8' | 'uint16' | 'float16';

/** Attribute values in model.json's encoding (strings base64, ints as decimal strings). */
export const attr = {
  s: (v: string): TfAttr => ({ s: Buffer.from(v).toString('base64') }),
  strs: (v: string[]): TfAttr => ({ list: { s: v.map((x) => Buffer.from(x).toString('base64')) } }),
  ints: (v: number[]): TfAttr => ({ list: { i: v.map(String) } }),
  i: (v: number): TfAttr => ({ i: String(v) }),
  b: (v: boolean): TfAttr => ({ b: v }),
  f: (v: number): TfAttr => ({ f: v }),
};

/** Mulberry32: a seeded generator so every run sees the same "random" tensors. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export class TfGraph {
  readonly nodes: TfNode[] = [];
  readonly #specs: WeightSpec[] = [];
  readonly #chunks: Uint8Array[] = [];
  #seed = 1;

  input(name: string, shape: number[]): string {
    const dim = shape.map((d) => ({ size: String(d) }));
    this.nodes.push({
      name,
      op: 'Placeholder',
      attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim } } },
    });
    return name;
  }

  /** A Const node backed by the weights manifest; `quantize` stores it the way tfjs-converter's --quantize does. */
  const(
    name: string,
    shape: number[],
    values?: ArrayLike<number>,
    opts: { dtype?: 'int32'; quantize?: Quantize } = {},
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = values ? Float32Array.from(values) : randomArray(n, this.#seed++);
    const dtype = opts.dtype ?? 'float32';
    this.nodes.push({
      name,
      op: 'Const',
      attr: { dtype: { type: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' } },
    });
    const spec: WeightSpec = { name, shape, dtype };
    let bytes: Uint8Array;
    if (dtype === 'int32') bytes = new Uint8Array(Int32Array.from(data).buffer);
    else if (!opts.quantize) bytes = new Uint8Array(data.buffer);
    else if (opts.quantize === 'float16') {
      spec.quantization = { dtype: 'float16' };
      bytes = new Uint8Array(float32ToFloat16(data).buffer);
    } else {
      const levels = opts.quantize === 'uint8' ? 255 : 65535;
      const min = Math.min(...data);
      const scale = (Math.max(...data) - min) / levels || 1;
      spec.quantization = { dtype: opts.quantize, scale, min };
      const q = Array.from(data, (v) => Math.round((v - min) / scale));
      bytes = opts.quantize === 'uint8' ? Uint8Array.from(q) : new Uint8Array(Uint16Array.from(q).buffer);
    }
    this.#specs.push(spec);
    this.#chunks.push(bytes);
    return name;
  }

  ints(name: string, values: number[]): string {
    return this.const(name, [values.length], values, { dtype: 'int32' });
  }

  node(op: string, name: string, inputs: string[], attrs: Record<string, TfAttr> = {}): string {
    // Fused ops count their extra inputs (bias, Prelu alpha) in num_args, as Grappler writes it.
    const fused = op.startsWith('_Fused') || op.startsWith('Fused');
    const all = fused && !attrs.num_args ? { ...attrs, num_args: attr.i(inputs.length - 2) } : attrs;
    this.nodes.push({ name, op, input: inputs, attr: all });
    return name;
  }

  /** model.json with a signature listing `outputs` in order, and the concatenated weight bytes. */
  build(outputs: string[]): { json: TfjsModelJson; weightData: Uint8Array } {
    const json: TfjsModelJson = {
      format: 'graph-model',
      modelTopology: { node: this.nodes, versions: {} },
      weightsManifest: [{ paths: ['weights.bin'], weights: this.#specs }],
      signature: { outputs: Object.fromEntries(outputs.map((o) => [o, { name: o }])) },
    };
    const total = this.#chunks.reduce((a, c) => a + c.byteLength, 0);
    const weightData = new Uint8Array(total);
    let off = 0;
    for (const c of this.#chunks) {
      weightData.set(c, off);
      off += c.byteLength;
    }
    return { json, weightData };
  }
}

/** Runs an ONNX model on one float input; returns the named outputs. */
export async function runOnnx(
  onnx: Uint8Array,
  feeds: Record<string, { data: Float32Array; dims: number[] }>,
): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const session = await ort.InferenceSession.create(onnx, { graphOptimizationLevel: 'all' });
  try {
    const tensors = Object.fromEntries(
      Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]),
    );
    const res = await session.run(tensors);
    return Object.fromEntries(
      Object.entries(res).map(([k, t]) => [k, { data: t.data as Float32Array, dims: [...t.dims] }]),
    );
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** float32 -> IEEE half with round-to-nearest-even, as tfjs-converter stores float16-quantized weights. */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i]!;
    const x = u32[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 127 + 15;
    const mant = x & 0x7fffff;
    if (exp >= 31) out[i] = sign | 0x7c00 | (((x >>> 23) & 0xff) === 0xff && mant ? 0x200 : 0);
    else if (exp <= 0) {
      // Subnormal half (or zero): shift the implicit-1 mantissa down, rounding to nearest even.
      if (exp < -10) out[i] = sign;
      else {
        const m = mant | 0x800000;
        const shift = 14 - exp;
        const half = 1 << (shift - 1);
        const rest = m & ((1 << shift) - 1);
        let h = m >> shift;
        if (rest > half || (rest === half && h & 1)) h++;
        out[i] = sign | h;
      }
    } else {
      let h = (exp << 10) | (mant >> 13);
      const rest = mant & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // a carry into the exponent is still correct
      out[i] = sign | h;
    }
  }
  return out;
}
