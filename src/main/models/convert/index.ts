// TF.js graph model -> ONNX: walks the graph from its outputs, keeps NHWC at the boundary and a dynamic batch.
import { AppError } from '../../../shared/errors';
import { convertFaceApiModel, isFaceApiSource } from './face-api';
import { DataType, OnnxGraph, OPSET } from './onnx-writer';
import { handlers, tensorName, unsupported, type Ctx, type Int8Ranges } from './ops';
import { CONVERTER_VERSION, decodeWeights, readTfjsSource, type TfjsSource, type TfNode } from './weights';

export { CONVERTER_VERSION, readTfjsSource, type TfjsSource, type TfjsModelJson } from './weights';

export interface ConvertOptions {
  /** Convolutions to run on 8-bit integers, with their calibrated ranges (the manifest's `int8`). */
  int8?: Int8Ranges;
  /** Extra TF tensors to expose as outputs under their own names (intermediates, for numerics checks). */
  extraOutputs?: string[];
  /**
   * Height and width of the (NHWC) inputs become dynamic, for fully convolutional graphs such as a detector run
   * on a whole scaled image; the trained size still gives the same values as before.
   */
  anySize?: boolean;
}

export interface ConvertedModel {
  onnx: Uint8Array;
  opset: number;
  /** ONNX input names (the TF.js signature keys, else placeholder names) and dims, 'batch' when dynamic. */
  inputs: { name: string; dims: (number | string)[] }[];
  /** ONNX output names (what TF.js's model.execute returns them as) and the TF tensor each one is. */
  outputs: { name: string; tensor: string }[];
}

/** Reads model.json + shards from disk and converts them. */
export function convertTfjsFile(
  jsonPath: string,
  options: ConvertOptions = {},
): ConvertedModel & { sha256: string } {
  const source = readTfjsSource(jsonPath);
  return { ...convertTfjsModel(source, options), sha256: source.sha256 };
}

/** Converts an in-memory TF.js graph model; throws AppError('model_error') naming the op, node and model it cannot map. */
export function convertTfjsModel(
  source: Pick<TfjsSource, 'name' | 'json' | 'weightData'>,
  options: ConvertOptions = {},
): ConvertedModel {
  if (isFaceApiSource(source)) return convertFaceApiModel(source, options);
  const { name: model, json } = source;
  const nodes = new Map(json.modelTopology.node.map((n) => [n.name, n]));
  if ((json.modelTopology.library?.function?.length ?? 0) > 0) {
    throw new AppError(
      'model_error',
      `Model "${model}" uses control-flow functions, which the converter does not support`,
    );
  }
  const signature = json.signature ?? json.userDefinedMetadata?.signature ?? {};
  const consts = decodeWeights(json, source.weightData, model);
  const g = new OnnxGraph(model);
  const anySize = options.anySize === true;
  const ctx: Ctx = { g, model, consts, values: new Map(), dynamicBatch: false, anySize, int8: options.int8 };

  // Inputs: named as TF.js's model.inputNodes names them (signature key, else the placeholder's name).
  const inputKeys = new Map<string, string>();
  for (const [key, entry] of Object.entries(signature.inputs ?? {})) inputKeys.set(nodeOf(entry.name), key);
  const inputs: ConvertedModel['inputs'] = [];
  for (const n of json.modelTopology.node.filter((x) => x.op === 'Placeholder')) {
    const name = inputKeys.get(n.name) ?? n.name;
    const dims = placeholderDims(n, name);
    // Batch 1 or unknown becomes dynamic; only that dimension.
    if (dims[0] === -1 || dims[0] === 1) {
      dims[0] = 'batch';
      ctx.dynamicBatch = true;
    }
    if (anySize && dims.length === 4) {
      dims[1] = -1;
      dims[2] = -1;
    }
    const shaped = dims.map((d, i) => (d === -1 ? `${name}_dim${i}` : d));
    inputs.push({ name, dims: shaped });
    g.inputs.push({ name, dataType: placeholderType(n, model), dims: shaped });
    ctx.values.set(n.name, name);
  }

  // Outputs: the signature's keys in its order (TF.js's model.outputNodes), else the nodes nothing consumes.
  const outputs: ConvertedModel['outputs'] = Object.entries(signature.outputs ?? {}).map(([key, e]) => ({
    name: key,
    tensor: tensorName(e.name),
  }));
  if (outputs.length === 0) {
    const consumed = new Set(json.modelTopology.node.flatMap((n) => (n.input ?? []).map((i) => nodeOf(i))));
    for (const n of json.modelTopology.node) {
      if (!consumed.has(n.name) && n.op !== 'Const') outputs.push({ name: n.name, tensor: n.name });
    }
  }
  for (const t of options.extraOutputs ?? []) outputs.push({ name: t, tensor: tensorName(t) });

  for (const n of topoOrder(
    nodes,
    outputs.map((o) => nodeOf(o.tensor)),
    model,
  )) {
    if (n.op === 'Const' || n.op === 'Placeholder') continue;
    const handler = handlers[n.op];
    if (!handler) throw unsupported(ctx, n);
    ctx.values.set(n.name, handler(ctx, n));
  }
  for (const o of outputs) {
    const v = ctx.values.get(o.tensor);
    if (!v)
      throw new AppError(
        'model_error',
        `Model "${model}": output "${o.name}" names "${o.tensor}", which is not a computed tensor`,
      );
    g.addNode('Identity', [v], [o.name]);
    g.outputs.push({ name: o.name, dataType: DataType.FLOAT });
  }
  const onnx = g.encode({ source: model, converter_version: String(CONVERTER_VERSION) });
  return { onnx, opset: OPSET, inputs, outputs };
}

function nodeOf(tensor: string): string {
  return tensor.replace(/^\^/, '').replace(/:\d+$/, '');
}

function placeholderDims(n: TfNode, name: string): (number | string)[] {
  const dims = n.attr?.shape?.shape?.dim;
  if (!dims) throw new AppError('model_error', `Input "${name}" has no shape; the converter needs its rank`);
  return dims.map((d) => Number(d.size));
}

function placeholderType(n: TfNode, model: string): number {
  const t = n.attr?.dtype?.type ?? 'DT_FLOAT';
  if (t === 'DT_FLOAT') return DataType.FLOAT;
  if (t === 'DT_INT32') return DataType.INT32;
  throw new AppError('model_error', `Input "${n.name}" of model "${model}" has unsupported dtype ${t}`);
}

/** Nodes the outputs depend on, producers first (iterative DFS, so deep graphs cannot overflow the stack). */
function topoOrder(nodes: Map<string, TfNode>, roots: string[], model: string): TfNode[] {
  const order: TfNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  for (const root of roots) {
    const stack: { name: string; expanded: boolean }[] = [{ name: root, expanded: false }];
    while (stack.length) {
      const top = stack.pop()!;
      const node = nodes.get(top.name);
      if (!node) throw new AppError('model_error', `Model "${model}" refers to a missing node "${top.name}"`);
      if (top.expanded) {
        state.set(top.name, 'done');
        order.push(node);
        continue;
      }
      if (state.get(top.name) === 'done') continue;
      if (state.get(top.name) === 'open') {
        throw new AppError('model_error', `Model "${model}" has a cycle through node "${top.name}"`);
      }
      state.set(top.name, 'open');
      stack.push({ name: top.name, expanded: true });
      for (const i of node.input ?? [])
        if (state.get(nodeOf(i)) !== 'done') stack.push({ name: nodeOf(i), expanded: false });
    }
  }
  return order;
}
