// Translates TF.js graph nodes into ONNX nodes: tensors stay NHWC between ops, spatial ops run NCHW inside.
import { AppError } from '../../../shared/errors';
import { DataType, type OnnxGraph } from './onnx-writer';
import type { TfAttr, TfNode, Weight } from './weights';

/** What a handler can reach: the graph being built, the decoded constants and the TF -> ONNX value names. */
export interface Ctx {
  g: OnnxGraph;
  model: string;
  consts: Map<string, Weight>;
  values: Map<string, string>;
  /** True when the batch dimension was made dynamic, so Reshape constants with a leading 1 must copy it. */
  dynamicBatch: boolean;
  /**
   * True when height and width were made dynamic (a fully convolutional graph): a rank-3 Reshape to
   * [batch, positions, k] then counts its positions from the input (-1) instead of the trained size's constant.
   */
  anySize?: boolean;
  /** Calibrated ranges of the convolutions to run on 8-bit integers, by TF node name; see `quantizedConv`. */
  int8?: Int8Ranges;
}

/** The float range a quantized convolution's input and output take on calibration data. */
export interface Int8Range {
  input: [number, number];
  output: [number, number];
}
export type Int8Ranges = Readonly<Record<string, Int8Range>>;

type Handler = (c: Ctx, n: TfNode) => string;

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

/** "name", "name:0" -> "name"; "name:1" stays; control inputs ("^name") are dropped by the caller. */
export function tensorName(input: string): string {
  return input.endsWith(':0') ? input.slice(0, -2) : input;
}

export function unsupported(c: Ctx, n: TfNode, what = `op "${n.op}"`): AppError {
  return new AppError('model_error', `Unsupported ${what} in node "${n.name}" of model "${c.model}"`, {
    hint: 'The built-in TF.js converter covers the bundled models; convert others to ONNX (e.g. tf2onnx) and add them as user models.',
  });
}

function dataInputs(n: TfNode): string[] {
  return (n.input ?? []).filter((i) => !i.startsWith('^'));
}

function inputAt(c: Ctx, n: TfNode, i: number): string {
  const name = dataInputs(n)[i];
  if (name === undefined) throw unsupported(c, n, `input count ${dataInputs(n).length} of op "${n.op}"`);
  return tensorName(name);
}

/** The ONNX value for input i; a constant becomes an initializer the first time it is used as a tensor. */
function value(c: Ctx, n: TfNode, i: number): string {
  const t = inputAt(c, n, i);
  const known = c.values.get(t);
  if (known) return known;
  const w = c.consts.get(t);
  if (!w)
    throw new AppError(
      'model_error',
      `Node "${n.name}" of model "${c.model}" reads "${t}", which nothing produces`,
    );
  const name = c.g.addInitializer({
    name: t,
    dims: w.shape,
    dataType: w.dtype === 'int32' ? DataType.INT32 : DataType.FLOAT,
    data: w.data,
  });
  c.values.set(t, name);
  return name;
}

function constAt(c: Ctx, n: TfNode, i: number, role: string): Weight {
  const w = c.consts.get(inputAt(c, n, i));
  if (!w) throw unsupported(c, n, `non-constant ${role} of op "${n.op}"`);
  return w;
}

function constInts(c: Ctx, n: TfNode, i: number, role: string): number[] {
  return Array.from(constAt(c, n, i, role).data, Number);
}

// --- attributes -------------------------------------------------------------------------------------------

function attr(n: TfNode, key: string): TfAttr | undefined {
  return n.attr?.[key];
}
function attrString(n: TfNode, key: string, fallback = ''): string {
  const s = attr(n, key)?.s;
  return s === undefined ? fallback : Buffer.from(s, 'base64').toString('utf8');
}
function attrStrings(n: TfNode, key: string): string[] {
  return (attr(n, key)?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}
function attrInts(n: TfNode, key: string): number[] {
  return (attr(n, key)?.list?.i ?? []).map(Number);
}
function attrInt(n: TfNode, key: string, fallback = 0): number {
  const v = attr(n, key)?.i;
  return v === undefined ? fallback : Number(v);
}
function attrBool(n: TfNode, key: string): boolean {
  return attr(n, key)?.b === true;
}
function attrFloat(n: TfNode, key: string, fallback: number): number {
  return attr(n, key)?.f ?? fallback;
}

// --- layout helpers ---------------------------------------------------------------------------------------

const toNchw = (c: Ctx, x: string) => c.g.op('Transpose', [x], { perm: [0, 3, 1, 2] });
const toNhwc = (c: Ctx, x: string) => c.g.op('Transpose', [x], { perm: [0, 2, 3, 1] });

/** Reorders the elements of a row-major tensor; shape[perm[k]] becomes the k-th dim of the result. */
export function permute(w: Weight, perm: number[]): Weight {
  const rank = w.shape.length;
  const outShape = perm.map((p) => w.shape[p]!);
  const inStrides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) inStrides[d] = inStrides[d + 1]! * w.shape[d + 1]!;
  const strides = perm.map((p) => inStrides[p]!);
  const out = new (w.data.constructor as Float32ArrayConstructor)(w.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d]! * strides[d]!;
    out[o] = w.data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return { dtype: w.dtype, shape: outShape, data: out };
}

function initializer(c: Ctx, base: string, w: Weight): string {
  return c.g.addInitializer({
    name: c.g.fresh(base),
    dims: w.shape,
    dataType: w.dtype === 'int32' ? DataType.INT32 : DataType.FLOAT,
    data: w.data,
  });
}

/** NHWC strides / kernel lists ([1, h, w, 1]) to ONNX's [h, w]. */
function hw(c: Ctx, n: TfNode, list: number[], what: string): number[] {
  if (list.length === 0) return [1, 1];
  if (list.length !== 4 || list[0] !== 1 || list[3] !== 1)
    throw unsupported(c, n, `${what} [${list.join(',')}]`);
  return [list[1]!, list[2]!];
}

/** TF padding -> ONNX attributes. SAME_UPPER is TF's SAME: the odd extra pixel goes at the end. */
function padding(c: Ctx, n: TfNode): Record<string, string | number[]> {
  if (attrString(n, 'data_format', 'NHWC') !== 'NHWC') throw unsupported(c, n, `data_format of op "${n.op}"`);
  const mode = attrString(n, 'padding');
  if (mode === 'SAME') return { auto_pad: 'SAME_UPPER' };
  if (mode === 'VALID') return {};
  if (mode === 'EXPLICIT') {
    const p = attrInts(n, 'explicit_paddings');
    return { pads: [p[2]!, p[4]!, p[3]!, p[5]!] };
  }
  throw unsupported(c, n, `padding "${mode}"`);
}

/** The activation of a fused op (fused_ops[1]), applied where `channelsFirst` says the channels are. */
function activate(
  c: Ctx,
  n: TfNode,
  y: string,
  act: string | undefined,
  alphaInput: number,
  channelsFirst: boolean,
) {
  switch (act) {
    case undefined:
      return y;
    case 'Relu':
      return c.g.op('Relu', [y]);
    case 'Relu6':
      return c.g.op('Clip', [y, c.g.scalar(0), c.g.scalar(6)]);
    case 'Elu':
      return c.g.op('Elu', [y]);
    case 'Sigmoid':
      return c.g.op('Sigmoid', [y]);
    case 'LeakyRelu':
      return c.g.op('LeakyRelu', [y], { alpha: { float: attrFloat(n, 'leakyrelu_alpha', 0.2) } });
    case 'Prelu': {
      const alpha = constAt(c, n, alphaInput, 'Prelu alpha');
      // TF's alpha broadcasts over the last (channel) axis; inside an NCHW region it must be [C, 1, 1].
      const count = alpha.data.length;
      const shape = channelsFirst ? [count, 1, 1] : [count];
      return c.g.op('PRelu', [y, initializer(c, `${n.name}/alpha`, { ...alpha, shape })]);
    }
    default:
      throw unsupported(c, n, `fused activation "${act}"`);
  }
}

/** fused_ops of _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul: BiasAdd, then an optional activation. */
function fusedOps(c: Ctx, n: TfNode): { bias: boolean; act: string | undefined } {
  const ops = attrStrings(n, 'fused_ops');
  if (ops.length === 0) return { bias: false, act: undefined };
  if (ops[0] !== 'BiasAdd' || ops.length > 2) throw unsupported(c, n, `fused_ops [${ops.join(', ')}]`);
  return { bias: true, act: ops[1] };
}

// --- op families ------------------------------------------------------------------------------------------

function conv(c: Ctx, n: TfNode, depthwise: boolean): string {
  const filter = constAt(c, n, 1, 'filter');
  if (filter.shape.length !== 4) throw unsupported(c, n, `filter rank ${filter.shape.length}`);
  const [kh, kw, cin, mult] = filter.shape as [number, number, number, number];
  // Conv: HWIO -> OIHW. Depthwise: [H, W, C, m] -> [C*m, 1, H, W]; TF orders output channel c*m + j.
  const w = depthwise
    ? { ...permute(filter, [2, 3, 0, 1]), shape: [cin * mult, 1, kh, kw] }
    : permute(filter, [3, 2, 0, 1]);
  const { bias, act } =
    n.op.startsWith('_Fused') || n.op.startsWith('Fused') ? fusedOps(c, n) : { bias: false, act: undefined };
  const range = depthwise ? undefined : c.int8?.[n.name];
  if (range) return toNhwc(c, activate(c, n, quantizedConv(c, n, w, bias, range), act, 3, true));
  const inputs = [toNchw(c, value(c, n, 0)), initializer(c, `${n.name}/weights`, w)];
  if (bias) inputs.push(value(c, n, 2));
  const y = c.g.op('Conv', inputs, {
    kernel_shape: [kh, kw],
    strides: hw(c, n, attrInts(n, 'strides'), 'strides'),
    dilations: hw(c, n, attrInts(n, 'dilations'), 'dilations'),
    ...(depthwise ? { group: cin } : {}),
    ...padding(c, n),
  });
  return toNhwc(c, activate(c, n, y, act, 3, true));
}

/** uint8 scale and zero point covering [min, max] (widened to hold 0, which must be exact for the padding). */
export function uint8Params(min: number, max: number): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  if (!(hi > lo)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

/**
 * A convolution on 8-bit integers (QLinearConv): the input quantized to uint8 over its calibrated range, the
 * weights per output channel to symmetric int8, the bias to int32 at input scale x channel scale, the output
 * back to uint8 over its calibrated range and then to float. ORT runs it on u8s8 integer kernels (VNNI where the
 * CPU has it); the float activation, batch norm and pooling around it stay as they were.
 */
function quantizedConv(c: Ctx, n: TfNode, w: Weight, bias: boolean, range: Int8Range): string {
  const [out, cin, kh, kw] = w.shape as [number, number, number, number];
  const per = cin * kh * kw;
  const data = w.data as Float32Array;
  const q = new Int8Array(out * per);
  const scales = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let max = 0;
    for (let i = 0; i < per; i++) max = Math.max(max, Math.abs(data[o * per + i]!));
    scales[o] = max > 0 ? Math.fround(max / 127) : 1;
    for (let i = 0; i < per; i++) q[o * per + i] = Math.round(data[o * per + i]! / scales[o]!);
  }
  const x = uint8Params(range.input[0], range.input[1]);
  const y = uint8Params(range.output[0], range.output[1]);
  const scalar = (base: string, dataType: number, v: number) =>
    c.g.addInitializer({
      name: c.g.fresh(`${n.name}/${base}`),
      dims: [],
      dataType,
      data: dataType === DataType.FLOAT ? Float32Array.of(v) : Uint8Array.of(v),
    });
  const xScale = scalar('x_scale', DataType.FLOAT, x.scale);
  const xZero = scalar('x_zero_point', DataType.UINT8, x.zeroPoint);
  const yScale = scalar('y_scale', DataType.FLOAT, y.scale);
  const yZero = scalar('y_zero_point', DataType.UINT8, y.zeroPoint);
  const inputs = [
    c.g.op('QuantizeLinear', [toNchw(c, value(c, n, 0)), xScale, xZero]),
    xScale,
    xZero,
    c.g.addInitializer({
      name: c.g.fresh(`${n.name}/w_int8`),
      dims: w.shape,
      dataType: DataType.INT8,
      data: q,
    }),
    c.g.addInitializer({
      name: c.g.fresh(`${n.name}/w_scale`),
      dims: [out],
      dataType: DataType.FLOAT,
      data: scales,
    }),
    c.g.addInitializer({
      name: c.g.fresh(`${n.name}/w_zero_point`),
      dims: [out],
      dataType: DataType.INT8,
      data: new Int8Array(out),
    }),
    yScale,
    yZero,
  ];
  if (bias) {
    const b = constAt(c, n, 2, 'bias').data;
    const bq = Int32Array.from(b, (v, o) => Math.round(v / (x.scale * scales[o]!)));
    inputs.push(
      c.g.addInitializer({
        name: c.g.fresh(`${n.name}/b_int32`),
        dims: [out],
        dataType: DataType.INT32,
        data: bq,
      }),
    );
  }
  const yq = c.g.op('QLinearConv', inputs, {
    kernel_shape: [kh, kw],
    strides: hw(c, n, attrInts(n, 'strides'), 'strides'),
    dilations: hw(c, n, attrInts(n, 'dilations'), 'dilations'),
    ...padding(c, n),
  });
  return c.g.op('DequantizeLinear', [yq, yScale, yZero]);
}

/** Conv2DBackpropInput: the output size is a constant, so pads and output_padding are worked out here. */
function convTranspose(c: Ctx, n: TfNode): string {
  const sizes = constInts(c, n, 0, 'input_sizes');
  const filter = constAt(c, n, 1, 'filter');
  const [kh, kw] = filter.shape as [number, number, number, number];
  const strides = hw(c, n, attrInts(n, 'strides'), 'strides');
  const dil = hw(c, n, attrInts(n, 'dilations'), 'dilations');
  const mode = attrString(n, 'padding');
  if (mode !== 'SAME' && mode !== 'VALID') throw unsupported(c, n, `padding "${mode}"`);
  if (attrString(n, 'data_format', 'NHWC') !== 'NHWC') throw unsupported(c, n, `data_format of op "${n.op}"`);
  const begin: number[] = [];
  const end: number[] = [];
  const outputPadding: number[] = [];
  [sizes[1]!, sizes[2]!].forEach((out, d) => {
    const k = ([kh, kw][d]! - 1) * dil[d]! + 1;
    const s = strides[d]!;
    // The forward conv this inverts maps `out` to `inp` pixels with TF's padding rule.
    const inp = mode === 'SAME' ? Math.ceil(out / s) : Math.ceil((out - k + 1) / s);
    const total = mode === 'SAME' ? Math.max((inp - 1) * s + k - out, 0) : 0;
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
    outputPadding.push(out - ((inp - 1) * s + k - total));
  });
  // TF filter [H, W, out, in] -> ONNX ConvTranspose [in, out, H, W].
  const w = permute(filter, [3, 2, 0, 1]);
  const y = c.g.op('ConvTranspose', [toNchw(c, value(c, n, 2)), initializer(c, `${n.name}/weights`, w)], {
    kernel_shape: [kh, kw],
    strides,
    dilations: dil,
    pads: [...begin, ...end],
    output_padding: outputPadding,
  });
  return toNhwc(c, y);
}

function pool(c: Ctx, n: TfNode, op: 'MaxPool' | 'AveragePool'): string {
  const y = c.g.op(op, [toNchw(c, value(c, n, 0))], {
    kernel_shape: hw(c, n, attrInts(n, 'ksize'), 'ksize'),
    strides: hw(c, n, attrInts(n, 'strides'), 'strides'),
    ...padding(c, n),
  });
  return toNhwc(c, y);
}

function matMul(c: Ctx, n: TfNode): string {
  let a = value(c, n, 0);
  if (attrBool(n, 'transpose_a')) a = c.g.op('Transpose', [a], { perm: [1, 0] });
  const bConst = c.consts.get(inputAt(c, n, 1));
  let b: string;
  if (bConst && attrBool(n, 'transpose_b')) b = initializer(c, `${n.name}/b`, permute(bConst, [1, 0]));
  else if (attrBool(n, 'transpose_b')) b = c.g.op('Transpose', [value(c, n, 1)], { perm: [1, 0] });
  else b = value(c, n, 1);
  let y = c.g.op('MatMul', [a, b]);
  if (n.op === '_FusedMatMul') {
    const { bias, act } = fusedOps(c, n);
    if (bias) y = c.g.op('Add', [y, value(c, n, 2)]);
    y = activate(c, n, y, act, 3, false);
  }
  return y;
}

/** ResizeBilinear: TF's two flags select ONNX's coordinate transformation; the sizes keep the batch dynamic. */
function resizeBilinear(c: Ctx, n: TfNode): string {
  const size = constInts(c, n, 1, 'size');
  const alignCorners = attrBool(n, 'align_corners');
  const halfPixel = attrBool(n, 'half_pixel_centers');
  const mode = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
  const x = toNchw(c, value(c, n, 0));
  const nc = c.g.op('Slice', [c.g.op('Shape', [x]), c.g.int64s([0]), c.g.int64s([2])]);
  const sizes = c.g.op('Concat', [nc, c.g.int64s(size)], { axis: 0 });
  const y = c.g.op('Resize', [x, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: mode });
  return toNhwc(c, y);
}

function reduce(op: string): Handler {
  return (c, n) => {
    const axes = constInts(c, n, 1, 'axes');
    return c.g.op(op, [value(c, n, 0), c.g.int64s(axes)], { keepdims: attrBool(n, 'keep_dims') ? 1 : 0 });
  };
}

function reshape(c: Ctx, n: TfNode): string {
  const shape = constInts(c, n, 1, 'shape');
  // Graphs exported at batch 1 bake it into Reshape; 0 tells ONNX to copy the (dynamic) batch instead.
  if (c.dynamicBatch && shape[0] === 1) shape[0] = 0;
  if (c.anySize && shape.length === 3 && shape[0] === 0 && !shape.includes(-1)) shape[1] = -1;
  return c.g.op('Reshape', [value(c, n, 0), c.g.int64s(shape)]);
}

function pad(c: Ctx, n: TfNode): string {
  const p = constInts(c, n, 1, 'paddings');
  const rank = p.length / 2;
  const pads = [
    ...Array.from({ length: rank }, (_, d) => p[2 * d]!),
    ...Array.from({ length: rank }, (_, d) => p[2 * d + 1]!),
  ];
  const inputs = [value(c, n, 0), c.g.int64s(pads)];
  if (n.op === 'PadV2') inputs.push(value(c, n, 2));
  return c.g.op('Pad', inputs, { mode: 'constant' });
}

function concat(c: Ctx, n: TfNode): string {
  const count = dataInputs(n).length;
  const axisFirst = n.op === 'Concat';
  const axis = constInts(c, n, axisFirst ? 0 : count - 1, 'axis')[0]!;
  const parts = Array.from({ length: count - 1 }, (_, i) => value(c, n, axisFirst ? i + 1 : i));
  return c.g.op('Concat', parts, { axis });
}

function stridedSlice(c: Ctx, n: TfNode): string {
  if (attrInt(n, 'ellipsis_mask') || attrInt(n, 'new_axis_mask'))
    throw unsupported(c, n, 'ellipsis / new-axis mask');
  const begin = constInts(c, n, 1, 'begin');
  const end = constInts(c, n, 2, 'end');
  const steps = dataInputs(n).length > 3 ? constInts(c, n, 3, 'strides') : begin.map(() => 1);
  const beginMask = attrInt(n, 'begin_mask');
  const endMask = attrInt(n, 'end_mask');
  const shrinkMask = attrInt(n, 'shrink_axis_mask');
  const starts: number[] = [];
  const ends: number[] = [];
  const shrink: number[] = [];
  begin.forEach((b, d) => {
    const step = steps[d]!;
    if (shrinkMask & (1 << d)) {
      starts.push(b);
      ends.push(b === -1 ? INT_MAX : b + 1);
      shrink.push(d);
      return;
    }
    starts.push(beginMask & (1 << d) ? (step > 0 ? 0 : INT_MAX) : b);
    ends.push(endMask & (1 << d) ? (step > 0 ? INT_MAX : INT_MIN) : end[d]!);
  });
  const axes = begin.map((_, d) => d);
  const y = c.g.op('Slice', [
    value(c, n, 0),
    c.g.int64s(starts),
    c.g.int64s(ends),
    c.g.int64s(axes),
    c.g.int64s(steps),
  ]);
  return shrink.length ? c.g.op('Squeeze', [y, c.g.int64s(shrink)]) : y;
}

const unary =
  (op: string): Handler =>
  (c, n) =>
    c.g.op(op, [value(c, n, 0)]);
const binary =
  (op: string): Handler =>
  (c, n) =>
    c.g.op(op, [value(c, n, 0), value(c, n, 1)]);

/** Every TF op the converter knows; anything else fails with the op, node and model named. */
export const handlers: Record<string, Handler> = {
  Identity: unary('Identity'),
  Conv2D: (c, n) => conv(c, n, false),
  _FusedConv2D: (c, n) => conv(c, n, false),
  DepthwiseConv2dNative: (c, n) => conv(c, n, true),
  FusedDepthwiseConv2dNative: (c, n) => conv(c, n, true),
  Conv2DBackpropInput: convTranspose,
  MaxPool: (c, n) => pool(c, n, 'MaxPool'),
  AvgPool: (c, n) => pool(c, n, 'AveragePool'),
  MatMul: matMul,
  _FusedMatMul: matMul,
  ResizeBilinear: resizeBilinear,
  Add: binary('Add'),
  AddV2: binary('Add'),
  BiasAdd: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Div: binary('Div'),
  Minimum: binary('Min'),
  Maximum: binary('Max'),
  Pow: binary('Pow'),
  SquaredDifference: (c, n) => {
    const d = c.g.op('Sub', [value(c, n, 0), value(c, n, 1)]);
    return c.g.op('Mul', [d, d]);
  },
  AddN: (c, n) =>
    c.g.op(
      'Sum',
      dataInputs(n).map((_, i) => value(c, n, i)),
    ),
  Relu: unary('Relu'),
  Relu6: (c, n) => c.g.op('Clip', [value(c, n, 0), c.g.scalar(0), c.g.scalar(6)]),
  Elu: unary('Elu'),
  LeakyRelu: (c, n) =>
    c.g.op('LeakyRelu', [value(c, n, 0)], { alpha: { float: attrFloat(n, 'alpha', 0.2) } }),
  Prelu: binary('PRelu'),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Softmax: (c, n) => c.g.op('Softmax', [value(c, n, 0)], { axis: -1 }),
  Abs: unary('Abs'),
  Neg: unary('Neg'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Sqrt: unary('Sqrt'),
  Reciprocal: unary('Reciprocal'),
  Rsqrt: (c, n) => c.g.op('Reciprocal', [c.g.op('Sqrt', [value(c, n, 0)])]),
  Square: (c, n) => {
    const x = value(c, n, 0);
    return c.g.op('Mul', [x, x]);
  },
  Mean: reduce('ReduceMean'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  Sum: reduce('ReduceSum'),
  Prod: reduce('ReduceProd'),
  Reshape: reshape,
  Squeeze: (c, n) => {
    const axes = attrInts(n, 'squeeze_dims');
    return c.g.op('Squeeze', axes.length ? [value(c, n, 0), c.g.int64s(axes)] : [value(c, n, 0)]);
  },
  ExpandDims: (c, n) => c.g.op('Unsqueeze', [value(c, n, 0), c.g.int64s(constInts(c, n, 1, 'axis'))]),
  Transpose: (c, n) => c.g.op('Transpose', [value(c, n, 0)], { perm: constInts(c, n, 1, 'perm') }),
  ConcatV2: concat,
  Concat: concat,
  Pad: pad,
  PadV2: pad,
  StridedSlice: stridedSlice,
};
