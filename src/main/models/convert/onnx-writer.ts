// Builds an ONNX ModelProto in memory and encodes it with protobufjs, from the subset of the official schema we use.
import protobuf from 'protobufjs';

// Field numbers and enum values copied from onnx/onnx.proto (Apache-2.0), trimmed to the messages we write.
export const ONNX_PROTO = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; STRINGS = 8; }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  optional AttributeType type = 20;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  optional string domain = 7;
}
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional string name = 8;
  optional bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
`;

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX TensorProto.DataType values we emit. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** Opset 18: reductions take their axes as an input, Resize has every mode TF needs. */
export const OPSET = 18;
const IR_VERSION = 8;

export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;
}

/** A graph input / output: element type and dims, a string dim being symbolic (the batch). */
export interface OnnxValueInfo {
  name: string;
  dataType: number;
  dims?: (number | string)[];
}

interface NodeRecord {
  op_type: string;
  name: string;
  input: string[];
  output: string[];
  attribute: Record<string, unknown>[];
}

/** Accumulates nodes and initializers; `encode()` returns the serialized model. */
export class OnnxGraph {
  readonly nodes: NodeRecord[] = [];
  readonly initializers = new Map<string, OnnxTensor>();
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  #counter = 0;

  constructor(readonly name: string) {}

  /** A fresh value name derived from `base`, unique in this graph. */
  fresh(base: string): string {
    return `${base}/__${++this.#counter}`;
  }

  addNode(op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): void {
    const attribute = Object.entries(attrs).map(([name, v]) => encodeAttr(name, v));
    this.nodes.push({
      op_type: op,
      name: this.fresh(outputs[0] ?? op),
      input: inputs,
      output: outputs,
      attribute,
    });
  }

  /** Adds one node and returns its (fresh) single output name. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, base = op): string {
    const out = this.fresh(base);
    this.addNode(op, inputs, [out], attrs);
    return out;
  }

  addInitializer(t: OnnxTensor): string {
    this.initializers.set(t.name, t);
    return t.name;
  }

  /** A constant int64 vector (shapes, axes, pads), deduplicated by value. */
  int64s(values: number[]): string {
    const name = `const/i64[${values.join(',')}]`;
    if (!this.initializers.has(name)) {
      this.addInitializer({
        name,
        dims: [values.length],
        dataType: DataType.INT64,
        data: BigInt64Array.from(values, BigInt),
      });
    }
    return name;
  }

  /** A constant float scalar, deduplicated by value. */
  scalar(value: number): string {
    const name = `const/f32(${value})`;
    if (!this.initializers.has(name)) {
      this.addInitializer({ name, dims: [], dataType: DataType.FLOAT, data: Float32Array.of(value) });
    }
    return name;
  }

  /** The serialised model; `opset` and `producer` default to the converter's. */
  encode(
    metadata: Record<string, string> = {},
    opts: { opset?: number; producer?: string } = {},
  ): Uint8Array {
    const model = {
      ir_version: IR_VERSION,
      producer_name: opts.producer ?? 'faceinsight-tfjs-converter',
      producer_version: '1',
      opset_import: [{ domain: '', version: opts.opset ?? OPSET }],
      metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: [...this.initializers.values()].map(encodeTensor),
        input: this.inputs.map(encodeValueInfo),
        output: this.outputs.map(encodeValueInfo),
      },
    };
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}

function encodeAttr(name: string, v: AttrValue): Record<string, unknown> {
  if (typeof v === 'number') return { name, type: AttrType.INT, i: v };
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  return { name, type: AttrType.FLOATS, floats: v.floats };
}

function encodeTensor(t: OnnxTensor): Record<string, unknown> {
  // ONNX raw_data is little-endian, as are typed arrays on every platform Node runs on.
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name: t.name, dims: t.dims, data_type: t.dataType, raw_data: raw };
}

function encodeValueInfo(v: OnnxValueInfo): Record<string, unknown> {
  const tensor: Record<string, unknown> = { elem_type: v.dataType };
  if (v.dims) {
    tensor.shape = { dim: v.dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) };
  }
  return { name: v.name, type: { tensor_type: tensor } };
}
