// Converter op families against TF.js on small graphs: each graph runs in TF.js (CPU) and, converted, in ORT.
import { describe, expect, it } from 'vitest';
import { convertTfjsModel } from '../../../../../src/main/models/convert';
import { AppError } from '../../../../../src/shared/errors';
import type { TfAttr } from '../../../../../src/main/models/convert/weights';
import { attr, maxAbs, maxAbsDiff, randomArray, runOnnx, TfGraph } from '../../../../helpers/models/tf-graph';
import { loadGraphModel, runGraphModel } from '../../../../helpers/models/tfjs';

const one = attr.ints([1, 1, 1, 1]);
const nhwc = attr.s('NHWC');
const stride = (s: number) => attr.ints([1, s, s, 1]);

/** Converts `g`, runs both sides on a seeded input, and asserts every output agrees within 1e-5 of its scale. */
async function agree(g: TfGraph, outputs: string[], shape: number[], seed = 7, batch?: number) {
  const { json, weightData } = g.build(outputs);
  const converted = convertTfjsModel({ name: 'unit', json, weightData });
  const input = converted.inputs[0]!;
  const dims = batch ? [batch, ...shape.slice(1)] : shape;
  const x = randomArray(
    dims.reduce((a, b) => a * b, 1),
    seed,
  );
  const ort = await runOnnx(converted.onnx, { [input.name]: { data: x, dims } });
  const tf = runGraphModel(await loadGraphModel(json, weightData), x, dims, outputs);
  outputs.forEach((name, i) => {
    const ref = tf[i]!;
    const got = ort[name]!;
    expect(got.dims, name).toEqual(ref.shape);
    expect(maxAbsDiff(got.data, ref.data), name).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(ref.data)));
  });
  return { converted, ort, tf };
}

/** Attributes of a conv-like node as the TF.js converter writes them. */
function conv2d(pad: string, s: number, fused: string[] = [], extra: Record<string, TfAttr> = {}) {
  return {
    strides: stride(s),
    padding: attr.s(pad),
    dilations: one,
    data_format: nhwc,
    fused_ops: attr.strs(fused),
    ...extra,
  };
}

describe('convolutions', () => {
  it.each([
    ['SAME', 2, 7, 3],
    ['SAME', 2, 9, 5],
    ['SAME', 1, 6, 4],
    ['VALID', 2, 9, 3],
    ['SAME', 3, 10, 3],
  ])(
    'Conv2D %s, stride %i, %i-row input, %i-pixel kernel: the odd pad pixel goes at the end',
    async (pad, s, size, k) => {
      const g = new TfGraph();
      g.input('x', [1, size, size + 2, 3]);
      g.const('w', [k, k, 3, 4]);
      g.node('Conv2D', 'y', ['x', 'w'], conv2d(pad, s));
      await agree(g, ['y'], [1, size, size + 2, 3]);
    },
  );

  it.each(['Relu', 'Relu6', 'Prelu', 'LeakyRelu', undefined])(
    '_FusedConv2D with BiasAdd and %s',
    async (act) => {
      const g = new TfGraph();
      g.input('x', [1, 8, 8, 3]);
      const inputs = ['x', g.const('w', [3, 3, 3, 5]), g.const('b', [5])];
      if (act === 'Prelu') inputs.push(g.const('alpha', [1, 1, 5], [0.1, -0.2, 0.3, 0.5, 2]));
      const fused = act ? ['BiasAdd', act] : ['BiasAdd'];
      const extra: Record<string, TfAttr> = act === 'LeakyRelu' ? { leakyrelu_alpha: attr.f(0.3) } : {};
      g.node('_FusedConv2D', 'y', inputs, conv2d('SAME', 1, fused, extra));
      // Inputs and weights in [-1, 1] over 27 products give both signs and, at times, Relu6's ceiling.
      await agree(g, ['y'], [1, 8, 8, 3], 3);
    },
  );

  it('DepthwiseConv2dNative with channel multiplier 2, SAME, stride 2, odd sizes', async () => {
    const g = new TfGraph();
    g.input('x', [1, 7, 9, 3]);
    g.const('w', [3, 3, 3, 2]);
    g.node('DepthwiseConv2dNative', 'y', ['x', 'w'], conv2d('SAME', 2));
    const { ort } = await agree(g, ['y'], [1, 7, 9, 3]);
    expect(ort.y!.dims).toEqual([1, 4, 5, 6]);
  });

  it('FusedDepthwiseConv2dNative with BiasAdd and Relu, 5x5 kernel', async () => {
    const g = new TfGraph();
    g.input('x', [1, 9, 9, 4]);
    g.node(
      'FusedDepthwiseConv2dNative',
      'y',
      ['x', g.const('w', [5, 5, 4, 1]), g.const('b', [4])],
      conv2d('SAME', 1, ['BiasAdd', 'Relu']),
    );
    await agree(g, ['y'], [1, 9, 9, 4]);
  });

  it.each([
    ['SAME', 2, 2, 16, 8],
    ['SAME', 2, 3, 9, 5],
    ['VALID', 2, 3, 9, 4],
    ['SAME', 3, 3, 12, 4],
  ])('Conv2DBackpropInput %s stride %i kernel %i to %i from %i', async (pad, s, k, out, inp) => {
    const g = new TfGraph();
    g.input('x', [1, inp, inp, 4]);
    g.ints('sizes', [1, out, out, 2]);
    g.const('w', [k, k, 2, 4]);
    g.node('Conv2DBackpropInput', 'y', ['sizes', 'w', 'x'], conv2d(pad, s));
    const { ort } = await agree(g, ['y'], [1, inp, inp, 4]);
    expect(ort.y!.dims).toEqual([1, out, out, 2]);
  });
});

describe('pooling and padding', () => {
  it.each([
    ['MaxPool', 'SAME', 3, 2, 7],
    ['MaxPool', 'VALID', 2, 2, 9],
    ['AvgPool', 'SAME', 3, 2, 7],
    ['AvgPool', 'VALID', 4, 4, 8],
  ])('%s %s kernel %i stride %i on %i', async (op, pad, k, s, size) => {
    const g = new TfGraph();
    g.input('x', [1, size, size, 2]);
    g.node(op, 'y', ['x'], {
      ksize: attr.ints([1, k, k, 1]),
      strides: stride(s),
      padding: attr.s(pad),
      data_format: nhwc,
    });
    await agree(g, ['y'], [1, size, size, 2]);
  });

  it('Pad with uneven paddings', async () => {
    const g = new TfGraph();
    g.input('x', [1, 4, 5, 2]);
    g.node('Pad', 'y', ['x', g.const('p', [4, 2], [0, 0, 1, 2, 0, 3, 0, 4], { dtype: 'int32' })]);
    await agree(g, ['y'], [1, 4, 5, 2]);
  });
});

describe('ResizeBilinear', () => {
  it.each([
    [false, false, [5, 7], [9, 12]],
    [false, true, [5, 7], [9, 12]],
    [true, false, [5, 7], [9, 12]],
    [false, true, [8, 8], [3, 5]],
    [false, false, [8, 8], [3, 5]],
    [true, false, [8, 8], [3, 5]],
  ])('align_corners=%s half_pixel_centers=%s %j -> %j', async (align, half, from, to) => {
    const g = new TfGraph();
    g.input('x', [1, from[0]!, from[1]!, 3]);
    g.node('ResizeBilinear', 'y', ['x', g.ints('size', to)], {
      align_corners: attr.b(align),
      half_pixel_centers: attr.b(half),
    });
    await agree(g, ['y'], [1, from[0]!, from[1]!, 3]);
  });
});

describe('dense layers', () => {
  it('_FusedMatMul with BiasAdd and Relu, and transpose_b', async () => {
    const g = new TfGraph();
    g.input('x', [-1, 6]);
    g.node('_FusedMatMul', 'h', ['x', g.const('w', [6, 5]), g.const('b', [5])], {
      transpose_a: attr.b(false),
      transpose_b: attr.b(false),
      fused_ops: attr.strs(['BiasAdd', 'Relu']),
    });
    g.node('MatMul', 'y', ['h', g.const('w2', [3, 5])], {
      transpose_a: attr.b(false),
      transpose_b: attr.b(true),
    });
    g.node('Softmax', 'p', ['y']);
    await agree(g, ['h', 'y', 'p'], [2, 6]);
  });
});

describe('element-wise, reductions and shapes', () => {
  it('Add/Sub/Mul/Minimum/Maximum/AddN/Abs/Rsqrt/Square/Sigmoid/Tanh/Relu6 with broadcast constants', async () => {
    const g = new TfGraph();
    g.input('x', [1, 3, 4, 5]);
    g.node('AddV2', 'a', ['x', g.const('c', [5])]);
    g.node('Mul', 'm', [g.const('s', [], [2.5]), 'a']);
    g.node('Sub', 'd', ['m', 'x']);
    g.node('Minimum', 'mn', ['d', g.const('hi', [], [1.5])]);
    g.node('Maximum', 'mx', ['mn', g.const('lo', [], [-1.5])]);
    g.node('AddN', 'n', ['mx', 'x'], { N: attr.i(2) });
    g.node('Abs', 'ab', ['n']);
    g.node('Square', 'sq', ['ab']);
    g.node('Rsqrt', 'rs', [g.node('Add', 'eps', ['sq', g.const('e', [], [0.5])])]);
    g.node('Sigmoid', 'sg', ['n']);
    g.node('Tanh', 'th', ['n']);
    g.node('Relu6', 'r6', [g.node('Mul', 'big', ['n', g.const('k', [], [5])])]);
    g.node('Prelu', 'pr', ['n', g.const('alpha', [1, 1, 5])]);
    await agree(g, ['rs', 'sg', 'th', 'r6', 'pr'], [1, 3, 4, 5]);
  });

  it('Mean, Max and Sum reductions with and without keep_dims, Squeeze and Concat', async () => {
    const g = new TfGraph();
    g.input('x', [-1, 4, 6, 3]);
    g.node('Mean', 'mean', ['x', g.ints('hw', [1, 2])], { keep_dims: attr.b(false) });
    g.node('Max', 'max', ['x', g.ints('hw2', [1, 2])], { keep_dims: attr.b(false) });
    g.node('Sum', 'sum', ['x', g.const('last', [], [-1], { dtype: 'int32' })], { keep_dims: attr.b(true) });
    g.node('ConcatV2', 'cat', ['mean', 'max', g.const('ax', [], [1], { dtype: 'int32' })], { N: attr.i(2) });
    g.node(
      'Squeeze',
      'sq',
      [g.node('Mean', 'pool', ['x', g.ints('hw3', [1, 2])], { keep_dims: attr.b(true) })],
      {
        squeeze_dims: attr.ints([1, 2]),
      },
    );
    await agree(g, ['cat', 'sum', 'sq'], [-1, 4, 6, 3], 5, 2);
  });

  const slice = (
    g: TfGraph,
    begin: number[],
    end: number[],
    masks: { begin: number; end: number; shrink: number },
  ) =>
    g.node('StridedSlice', 'y', ['x', g.ints('b', begin), g.ints('e', end), g.ints('s', [1, 2, 1, 1])], {
      begin_mask: attr.i(masks.begin),
      end_mask: attr.i(masks.end),
      shrink_axis_mask: attr.i(masks.shrink),
      ellipsis_mask: attr.i(0),
      new_axis_mask: attr.i(0),
    });

  it('StridedSlice with strides and begin/end masks', async () => {
    const g = new TfGraph();
    g.input('x', [1, 6, 5, 4]);
    slice(g, [0, 1, 0, 2], [0, 5, 0, 3], { begin: 0b0101, end: 0b0101, shrink: 0 });
    const { ort } = await agree(g, ['y'], [1, 6, 5, 4]);
    expect(ort.y!.dims).toEqual([1, 2, 5, 1]);
  });

  it('StridedSlice shrinks an axis as TensorFlow does (x[:, 1:5:2, :, 2])', async () => {
    // TF.js 4.22's CPU kernel mis-slices a shrunk axis combined with strides, so this checks TF's semantics directly.
    const g = new TfGraph();
    g.input('x', [1, 6, 5, 4]);
    slice(g, [0, 1, 0, 2], [0, 5, 0, 3], { begin: 0b0101, end: 0b0101, shrink: 0b1000 });
    const { json, weightData } = g.build(['y']);
    const converted = convertTfjsModel({ name: 'unit', json, weightData });
    const x = Float32Array.from({ length: 120 }, (_, i) => i);
    const { y } = await runOnnx(converted.onnx, { x: { data: x, dims: [1, 6, 5, 4] } });
    expect(y!.dims).toEqual([1, 2, 5]);
    expect(Array.from(y!.data)).toEqual([22, 26, 30, 34, 38, 62, 66, 70, 74, 78]);
  });

  it('rewrites a batch-1 Reshape so batch N equals N runs of batch 1', async () => {
    const g = new TfGraph();
    g.input('x', [1, 4, 4, 2]);
    g.node(
      '_FusedConv2D',
      'c',
      ['x', g.const('w', [1, 1, 2, 3]), g.const('b', [3])],
      conv2d('VALID', 1, ['BiasAdd']),
    );
    g.node('Reshape', 'y', ['c', g.ints('shape', [1, 48])]);
    const { json, weightData } = g.build(['y']);
    const converted = convertTfjsModel({ name: 'unit', json, weightData });
    expect(converted.inputs[0]!.dims).toEqual(['batch', 4, 4, 2]);
    const x = randomArray(3 * 32, 11);
    const batched = await runOnnx(converted.onnx, { x: { data: x, dims: [3, 4, 4, 2] } });
    expect(batched.y!.dims).toEqual([3, 48]);
    const tf = await loadGraphModel(json, weightData);
    for (let i = 0; i < 3; i++) {
      const ref = runGraphModel(tf, x.slice(i * 32, (i + 1) * 32), [1, 4, 4, 2], ['y'])[0]!;
      expect(maxAbsDiff(batched.y!.data.slice(i * 48, (i + 1) * 48), ref.data)).toBeLessThan(1e-5);
    }
  });
});

describe('errors', () => {
  it('names the op, the node and the model for an unsupported op', () => {
    const g = new TfGraph();
    g.input('x', [1, 4]);
    g.node('Cumsum', 'running/total', ['x', g.const('axis', [], [1], { dtype: 'int32' })]);
    const { json, weightData } = g.build(['running/total']);
    let err: unknown;
    try {
      convertTfjsModel({ name: 'my-model', json, weightData });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('model_error');
    expect((err as AppError).message).toBe(
      'Unsupported op "Cumsum" in node "running/total" of model "my-model"',
    );
  });

  it('rejects a fused op it cannot express', () => {
    const g = new TfGraph();
    g.input('x', [1, 4, 4, 1]);
    g.node(
      '_FusedConv2D',
      'y',
      ['x', g.const('w', [1, 1, 1, 1]), g.const('b', [1])],
      conv2d('SAME', 1, ['BiasAdd', 'Swish']),
    );
    const { json, weightData } = g.build(['y']);
    expect(() => convertTfjsModel({ name: 'm', json, weightData })).toThrow(
      'Unsupported fused activation "Swish" in node "y" of model "m"',
    );
  });
});
