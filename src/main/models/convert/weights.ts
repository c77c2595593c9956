// Reads a TF.js graph model (model.json + weight shards) and decodes its weights, quantized ones included.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../../shared/errors';

/**
 * Bumped whenever the converter's output changes, so install-time caches convert again. It lives here so the
 * up-to-date check of `npm run models` loads no protobuf code.
 */
export const CONVERTER_VERSION = 1;

/** One attribute value as TF.js's model.json spells it (a JSON form of tensorflow.AttrValue). */
export interface TfAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: { size: string | number }[]; unknownRank?: boolean };
  tensor?: { dtype?: string; tensorShape?: { dim?: { size: string | number }[] } };
  list?: { s?: string[]; i?: (string | number)[]; f?: number[]; b?: boolean[]; type?: string[] };
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

export interface TfSignatureEntry {
  name: string;
  dtype?: string;
  tensorShape?: { dim?: { size: string | number }[] };
}

export interface TfSignature {
  inputs?: Record<string, TfSignatureEntry>;
  outputs?: Record<string, TfSignatureEntry>;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  quantization?: {
    dtype: 'uint8' | 'uint16' | 'float16';
    scale?: number;
    min?: number;
    original_dtype?: string;
  };
}

/** The parts of a TF.js graph-model model.json the converter reads. */
export interface TfjsModelJson {
  format?: string;
  modelTopology: { node: TfNode[]; library?: { function?: unknown[] }; versions?: Record<string, unknown> };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  signature?: TfSignature;
  userDefinedMetadata?: { signature?: TfSignature };
}

export interface Weight {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** A source model read from disk: its JSON, all shards concatenated in manifest order, and their sha256. */
export interface TfjsSource {
  name: string;
  json: TfjsModelJson;
  weightData: Uint8Array;
  sha256: string;
}

/**
 * Reads model.json and its shards. The sha256 covers model.json followed by every shard in manifest order, so
 * any change to the graph or the weights changes it (the install-time cache and the manifests key on it).
 */
export function readTfjsSource(jsonPath: string): TfjsSource {
  const name = basename(jsonPath).replace(/\.json$/, '');
  const fail = (why: string) =>
    new AppError('model_error', `Model "${name}": ${why}`, { where: { file: jsonPath } });
  let raw: Buffer;
  try {
    raw = readFileSync(jsonPath);
  } catch (err) {
    throw fail(`cannot read ${jsonPath} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: TfjsModelJson;
  try {
    json = JSON.parse(raw.toString('utf8')) as TfjsModelJson;
  } catch (err) {
    throw fail(`model.json is not valid JSON (${(err as Error).message})`);
  }
  // face-api ships a bare weights manifest (its architecture is code: convert/face-api.ts rebuilds it).
  if (Array.isArray(json)) {
    json = {
      format: 'face-api-weights-manifest',
      modelTopology: { node: [] },
      weightsManifest: json as TfjsModelJson['weightsManifest'],
    };
  }
  if (!Array.isArray(json.modelTopology?.node) || !Array.isArray(json.weightsManifest)) {
    throw fail('not a TF.js graph model (no modelTopology.node or weightsManifest)');
  }
  const hash = createHash('sha256').update(raw);
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const shardPath = join(dirname(jsonPath), p);
      try {
        shards.push(readFileSync(shardPath));
      } catch (err) {
        throw fail(
          `cannot read weight shard ${shardPath} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        );
      }
      hash.update(shards[shards.length - 1]!);
    }
  }
  const weightData = new Uint8Array(Buffer.concat(shards));
  const expected = json.weightsManifest.flatMap((g) => g.weights).reduce((n, w) => n + byteLength(w), 0);
  if (weightData.byteLength !== expected) {
    throw fail(`weight shards hold ${weightData.byteLength} bytes, the manifest describes ${expected}`);
  }
  return { name, json, weightData, sha256: hash.digest('hex') };
}

function byteLength(w: WeightSpec): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  if (w.quantization) return n * (w.quantization.dtype === 'uint8' ? 1 : 2);
  return n * (w.dtype === 'bool' ? 1 : 4);
}

/** Decodes every weight; quantized ones come back as float32 exactly as TF.js dequantizes them. */
export function decodeWeights(
  json: TfjsModelJson,
  weightData: Uint8Array,
  model: string,
): Map<string, Weight> {
  const out = new Map<string, Weight>();
  const bytes = new Uint8Array(weightData.buffer, weightData.byteOffset, weightData.byteLength);
  let offset = 0;
  for (const spec of json.weightsManifest.flatMap((g) => g.weights)) {
    const size = byteLength(spec);
    if (offset + size > bytes.byteLength) {
      throw new AppError(
        'model_error',
        `Model "${model}": weight "${spec.name}" runs past the end of the shards`,
      );
    }
    // Copy so typed views are aligned whatever the offset inside the shard.
    const chunk = bytes.slice(offset, offset + size);
    offset += size;
    out.set(spec.name, decodeOne(spec, chunk, model));
  }
  return out;
}

function decodeOne(spec: WeightSpec, chunk: Uint8Array, model: string): Weight {
  const shape = spec.shape.slice();
  const q = spec.quantization;
  if (spec.dtype !== 'float32' && spec.dtype !== 'int32') {
    throw new AppError(
      'model_error',
      `Model "${model}": weight "${spec.name}" has unsupported dtype ${spec.dtype}`,
    );
  }
  if (!q) {
    const data = spec.dtype === 'int32' ? new Int32Array(chunk.buffer) : new Float32Array(chunk.buffer);
    return { dtype: spec.dtype, shape, data };
  }
  let values: Float32Array;
  if (q.dtype === 'float16') {
    values = float16ToFloat32(new Uint16Array(chunk.buffer));
  } else if (q.dtype === 'uint8' || q.dtype === 'uint16') {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    const ints = q.dtype === 'uint8' ? chunk : new Uint16Array(chunk.buffer);
    values = Float32Array.from(ints, (v) => v * scale + min);
  } else {
    throw new AppError(
      'model_error',
      `Model "${model}": weight "${spec.name}" uses unsupported quantization ${String(q.dtype)}`,
    );
  }
  // TF.js rounds dequantized integers back (io_utils.decodeWeight).
  if (spec.dtype === 'int32') return { dtype: 'int32', shape, data: Int32Array.from(values, Math.round) };
  return { dtype: 'float32', shape, data: values };
}

/** IEEE 754 half -> single, exact (subnormals, infinities and NaN included). */
export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}
