// face-api (@vladmandic/face-api) nets -> ONNX. face-api ships only a weights manifest; the architecture lives in
// its JS (src/xception/TinyXception.ts, src/faceFeatureExtractor/denseBlock.ts, src/ageGenderNet,
// src/faceExpressionNet), so it is rebuilt here op for op. NHWC at the boundary, NCHW inside, dynamic batch.
import { AppError } from '../../../shared/errors';
import { DataType, OnnxGraph, OPSET } from './onnx-writer';
import { permute } from './ops';
import { CONVERTER_VERSION, decodeWeights, type TfjsSource, type Weight } from './weights';
import type { ConvertedModel, ConvertOptions } from './index';

/** face-api's input: 112x112 RGB, 0..255, minus this mean per channel, over 255 (TinyXception / FaceFeatureExtractor). */
export const FACE_API_INPUT_SIZE = 112;
const MEAN_RGB = [122.782, 117.001, 104.298];

/** face-api's FACE_EXPRESSION_LABELS, the order of the expression model's outputs. */
export const FACE_API_EXPRESSIONS = [
  'neutral',
  'happy',
  'sad',
  'angry',
  'fearful',
  'disgusted',
  'surprised',
] as const;

/** The face-api nets the converter knows, by weights-manifest name (model/<name>-weights_manifest.json). */
const NETS: Record<string, (b: Builder, x: string) => Record<string, string>> = {
  age_gender_model: ageGenderNet,
  face_expression_model: faceExpressionNet,
};

/** Whether `source` is a face-api weights manifest this converter can build (by its file name). */
export function isFaceApiSource(source: Pick<TfjsSource, 'name' | 'json'>): boolean {
  return source.json.format === 'face-api-weights-manifest';
}

class Builder {
  readonly g: OnnxGraph;
  constructor(
    model: string,
    private readonly weights: Map<string, Weight>,
  ) {
    this.g = new OnnxGraph(model);
  }

  weight(name: string, rank: number, transform?: (w: Weight) => Weight): string {
    const w = this.weights.get(name);
    if (!w || w.shape.length !== rank) {
      throw new AppError(
        'model_error',
        `Model "${this.g.name}": weight "${name}" is ${w ? `rank ${w.shape.length}` : 'missing'}, face-api's net needs rank ${rank}`,
      );
    }
    const t = transform ? transform(w) : w;
    return this.g.addInitializer({ name, dims: t.shape, dataType: DataType.FLOAT, data: t.data });
  }

  /** tf.conv2d(x, filters, stride, 'same') + bias; filters HWIO -> OIHW. */
  conv(x: string, prefix: string, stride: number): string {
    const w = this.weight(`${prefix}/filters`, 4, (f) => permute(f, [3, 2, 0, 1]));
    const k = this.weights.get(`${prefix}/filters`)!.shape[0]!;
    return this.g.op('Conv', [x, w, this.weight(`${prefix}/bias`, 1)], {
      kernel_shape: [k, k],
      strides: [stride, stride],
      auto_pad: 'SAME_UPPER',
    });
  }

  /** tf.separableConv2d(x, depthwise, pointwise, stride, 'same') + bias (common/depthwiseSeparableConv.ts). */
  separable(x: string, prefix: string, stride: number): string {
    const [, , channels] = this.weights.get(`${prefix}/depthwise_filter`)?.shape ?? [];
    // Depthwise [3, 3, C, 1] -> [C, 1, 3, 3] (group C); pointwise [1, 1, Cin, Cout] -> [Cout, Cin, 1, 1].
    const dw = this.weight(`${prefix}/depthwise_filter`, 4, (f) => ({
      ...permute(f, [2, 3, 0, 1]),
      shape: [f.shape[2]!, 1, f.shape[0]!, f.shape[1]!],
    }));
    const y = this.g.op('Conv', [x, dw], {
      kernel_shape: [3, 3],
      strides: [stride, stride],
      group: channels ?? 1,
      auto_pad: 'SAME_UPPER',
    });
    const pw = this.weight(`${prefix}/pointwise_filter`, 4, (f) => permute(f, [3, 2, 0, 1]));
    return this.g.op('Conv', [y, pw, this.weight(`${prefix}/bias`, 1)], { kernel_shape: [1, 1] });
  }

  relu = (x: string) => this.g.op('Relu', [x]);
  add = (a: string, b: string) => this.g.op('Add', [a, b]);

  /** tf.avgPool(x, [7, 7], [2, 2], 'valid') on the 7x7 bottleneck, flattened to [N, C]. */
  pool7(x: string): string {
    const y = this.g.op('AveragePool', [x], { kernel_shape: [7, 7], strides: [2, 2] });
    return this.g.op('Flatten', [y], { axis: 1 });
  }

  /** fullyConnectedLayer: matMul(x, weights) + bias. */
  fc(x: string, prefix: string): string {
    const y = this.g.op('MatMul', [x, this.weight(`${prefix}/weights`, 2)]);
    return this.add(y, this.weight(`${prefix}/bias`, 1));
  }
}

/** xception/TinyXception.ts reductionBlock. */
function reductionBlock(b: Builder, x: string, prefix: string, activateInput = true): string {
  let out = activateInput ? b.relu(x) : x;
  out = b.separable(out, `${prefix}/separable_conv0`, 1);
  out = b.separable(b.relu(out), `${prefix}/separable_conv1`, 1);
  out = b.g.op('MaxPool', [out], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' });
  return b.add(out, b.conv(x, `${prefix}/expansion_conv`, 2));
}

/** xception/TinyXception.ts mainBlock. */
function mainBlock(b: Builder, x: string, prefix: string): string {
  let out = b.separable(b.relu(x), `${prefix}/separable_conv0`, 1);
  out = b.separable(b.relu(out), `${prefix}/separable_conv1`, 1);
  out = b.separable(b.relu(out), `${prefix}/separable_conv2`, 1);
  return b.add(out, x);
}

/** AgeGenderNet: TinyXception(2) -> avgPool -> fc/age (years) and fc/gender (softmax [male, female]). */
function ageGenderNet(b: Builder, x: string): Record<string, string> {
  let out = b.relu(b.conv(x, 'entry_flow/conv_in', 2));
  out = reductionBlock(b, out, 'entry_flow/reduction_block_0', false);
  out = reductionBlock(b, out, 'entry_flow/reduction_block_1');
  for (let k = 0; k < 2; k++) out = mainBlock(b, out, `middle_flow/main_block_${k}`);
  out = reductionBlock(b, out, 'exit_flow/reduction_block');
  out = b.relu(b.separable(out, 'exit_flow/separable_conv', 1));
  const pooled = b.pool7(out);
  const genderLogits = b.fc(pooled, 'fc/gender');
  return {
    age: b.fc(pooled, 'fc/age'),
    gender: b.g.op('Softmax', [genderLogits], { axis: -1 }),
    features: pooled,
    gender_logits: genderLogits,
  };
}

/** faceFeatureExtractor/denseBlock.ts denseBlock4 (isScaleDown). */
function denseBlock4(b: Builder, x: string, prefix: string, first: boolean): string {
  const out1 = b.relu(first ? b.conv(x, `${prefix}/conv0`, 2) : b.separable(x, `${prefix}/conv0`, 2));
  const out2 = b.separable(out1, `${prefix}/conv1`, 1);
  const out3 = b.separable(b.relu(b.add(out1, out2)), `${prefix}/conv2`, 1);
  const in4 = b.relu(b.add(out1, b.add(out2, out3)));
  const out4 = b.separable(in4, `${prefix}/conv3`, 1);
  return b.relu(b.add(out1, b.add(out2, b.add(out3, out4))));
}

/** FaceExpressionNet: FaceFeatureExtractor (4 dense blocks, avgPool) -> fc -> softmax over FACE_API_EXPRESSIONS. */
function faceExpressionNet(b: Builder, x: string): Record<string, string> {
  let out = x;
  for (let k = 0; k < 4; k++) out = denseBlock4(b, out, `dense${k}`, k === 0);
  const features = b.pool7(out);
  const logits = b.fc(features, 'fc');
  return { expression: b.g.op('Softmax', [logits], { axis: -1 }), features, logits };
}

/** Outputs every converted face-api net has; `extraOutputs` may add `features` and the pre-softmax logits. */
const MAIN_OUTPUTS: Record<string, string[]> = {
  age_gender_model: ['age', 'gender'],
  face_expression_model: ['expression'],
};

/** Builds the ONNX graph of a face-api net from its weights manifest (read by readTfjsSource). */
export function convertFaceApiModel(
  source: Pick<TfjsSource, 'name' | 'json' | 'weightData'>,
  options: ConvertOptions = {},
): ConvertedModel {
  const net = source.name.replace(/-weights_manifest$/, '');
  const build = NETS[net];
  if (!build) {
    throw new AppError(
      'model_error',
      `Model "${source.name}": no face-api architecture for "${net}" (known: ${Object.keys(NETS).join(', ')})`,
    );
  }
  const b = new Builder(net, decodeWeights(source.json, source.weightData, source.name));
  const dims = ['batch', FACE_API_INPUT_SIZE, FACE_API_INPUT_SIZE, 3];
  b.g.inputs.push({ name: 'input', dataType: DataType.FLOAT, dims });
  const nchw = b.g.op('Transpose', ['input'], { perm: [0, 3, 1, 2] });
  const mean = b.g.addInitializer({
    name: 'mean_rgb',
    dims: [1, 3, 1, 1],
    dataType: DataType.FLOAT,
    data: Float32Array.from(MEAN_RGB),
  });
  const x = b.g.op('Div', [b.g.op('Sub', [nchw, mean]), b.g.scalar(255)]);
  const built = build(b, x);
  const names = [...MAIN_OUTPUTS[net]!, ...(options.extraOutputs ?? [])];
  const outputs: ConvertedModel['outputs'] = [];
  for (const name of names) {
    const v = built[name];
    if (!v) throw new AppError('model_error', `Model "${net}" has no tensor "${name}" to expose`);
    b.g.addNode('Identity', [v], [name]);
    b.g.outputs.push({ name, dataType: DataType.FLOAT });
    outputs.push({ name, tensor: name });
  }
  const onnx = b.g.encode({
    source: `@vladmandic/face-api ${net}`,
    converter_version: String(CONVERTER_VERSION),
  });
  return { onnx, opset: OPSET, inputs: [{ name: 'input', dims }], outputs };
}
