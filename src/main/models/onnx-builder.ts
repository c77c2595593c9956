// A tiny ONNX writer (message subset of onnx.proto, official field numbers) for the EP warm-up probe and test models.
import protobuf from 'protobufjs';
import { ONNX_PROTO } from './convert/onnx-writer';

// The converter's subset of onnx.proto (official field numbers), parsed with camelCase field names here.
const ModelProto = protobuf.parse(ONNX_PROTO).root.lookupType('onnx.ModelProto');

/** TensorProto.DataType codes. */
const DATA_TYPE = { float32: 1, uint8: 2, int32: 6, int64: 7 } as const;
export type OnnxElementType = keyof typeof DATA_TYPE;

/** AttributeProto.AttributeType codes for the kinds we write. */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export type AttributeValue =
  { i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] };

export interface InitializerInit {
  name: string;
  dims: readonly number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

export interface NodeInit {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attrs?: Record<string, AttributeValue>;
}

export interface ValueInit {
  name: string;
  type?: OnnxElementType;
  /** A number is a fixed size, a string a symbolic (dynamic) dimension such as 'N'. */
  shape: readonly (number | string)[];
}

export interface GraphInit {
  name?: string;
  inputs: readonly ValueInit[];
  outputs: readonly ValueInit[];
  nodes: readonly NodeInit[];
  initializers?: readonly InitializerInit[];
  /** Default opset 17, the oldest ORT 1.30 and our converter both target. */
  opset?: number;
}

function elementType(data: InitializerInit['data']): number {
  if (data instanceof Float32Array) return DATA_TYPE.float32;
  if (data instanceof Int32Array) return DATA_TYPE.int32;
  if (data instanceof BigInt64Array) return DATA_TYPE.int64;
  return DATA_TYPE.uint8;
}

function attribute(name: string, v: AttributeValue): Record<string, unknown> {
  if ('i' in v) return { name, type: ATTR.INT, i: v.i };
  if ('f' in v) return { name, type: ATTR.FLOAT, f: v.f };
  if ('s' in v) return { name, type: ATTR.STRING, s: new TextEncoder().encode(v.s) };
  if ('ints' in v) return { name, type: ATTR.INTS, ints: [...v.ints] };
  return { name, type: ATTR.FLOATS, floats: [...v.floats] };
}

function valueInfo(v: ValueInit): Record<string, unknown> {
  const dim = v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: DATA_TYPE[v.type ?? 'float32'], shape: { dim } } } };
}

/** Serialises a single-graph model (IR version 8, default domain) to ONNX bytes. */
export function buildOnnxModel(g: GraphInit): Uint8Array {
  const graph = {
    name: g.name ?? 'graph',
    node: g.nodes.map((n, k) => ({
      input: [...n.inputs],
      output: [...n.outputs],
      name: n.name ?? `${n.op}_${k}`,
      opType: n.op,
      attribute: Object.entries(n.attrs ?? {}).map(([name, v]) => attribute(name, v)),
    })),
    initializer: (g.initializers ?? []).map((t) => ({
      name: t.name,
      dims: [...t.dims],
      dataType: elementType(t.data),
      // raw_data is little-endian, which typed arrays are on every platform Node ships for.
      rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    })),
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
  };
  const model = ModelProto.fromObject({
    irVersion: 8,
    producerName: 'faceinsight-studio',
    producerVersion: '1',
    graph,
    opsetImport: [{ domain: '', version: g.opset ?? 17 }],
  });
  return ModelProto.encode(model).finish();
}
