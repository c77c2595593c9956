// Small ONNX models from a plain description (the EP warm-up probe, test models), written by the converter's
// OnnxGraph: one ONNX writer in the code base.
import { DataType, OnnxGraph, type AttrValue, type OnnxTensor } from './convert/onnx-writer';

const DATA_TYPE = {
  float32: DataType.FLOAT,
  uint8: DataType.UINT8,
  int32: DataType.INT32,
  int64: DataType.INT64,
};
export type OnnxElementType = keyof typeof DATA_TYPE;

export type AttributeValue =
  { i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] };

export interface InitializerInit {
  name: string;
  dims: readonly number[];
  data: OnnxTensor['data'];
}

export interface NodeInit {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
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
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof BigInt64Array) return DataType.INT64;
  return DataType.UINT8;
}

function attrValue(v: AttributeValue): AttrValue {
  if ('i' in v) return v.i;
  if ('f' in v) return { float: v.f };
  if ('s' in v) return v.s;
  if ('ints' in v) return [...v.ints];
  return { floats: [...v.floats] };
}

/** Serialises a single-graph model (IR version 8, default domain) to ONNX bytes. */
export function buildOnnxModel(g: GraphInit): Uint8Array {
  const graph = new OnnxGraph(g.name ?? 'graph');
  const value = (v: ValueInit) => ({
    name: v.name,
    dataType: DATA_TYPE[v.type ?? 'float32'],
    dims: [...v.shape],
  });
  graph.inputs.push(...g.inputs.map(value));
  graph.outputs.push(...g.outputs.map(value));
  for (const t of g.initializers ?? [])
    graph.addInitializer({ name: t.name, dims: [...t.dims], dataType: elementType(t.data), data: t.data });
  for (const n of g.nodes) {
    const attrs = Object.fromEntries(Object.entries(n.attrs ?? {}).map(([k, v]) => [k, attrValue(v)]));
    graph.addNode(n.op, [...n.inputs], [...n.outputs], attrs);
  }
  return graph.encode({}, { opset: g.opset ?? 17, producer: 'faceinsight-studio' });
}
