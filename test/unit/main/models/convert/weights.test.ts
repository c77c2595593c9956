// Weight decoding: float32 / int32 as stored, uint8 / uint16 affine and float16 quantization as TF.js decodes them.
import { describe, expect, it } from 'vitest';
import { convertTfjsModel } from '../../../../../src/main/models/convert';
import { decodeWeights, float16ToFloat32 } from '../../../../../src/main/models/convert/weights';
import {
  attr,
  float32ToFloat16,
  maxAbs,
  maxAbsDiff,
  randomArray,
  runOnnx,
  TfGraph,
  type Quantize,
} from '../../../../helpers/models/tf-graph';
import { loadGraphModel, runGraphModel, tf } from '../../../../helpers/models/tfjs';

describe('float16', () => {
  it('decodes normals, subnormals, zeros, infinities and NaN exactly', () => {
    const halves = Uint16Array.from([
      0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555,
    ]);
    const f = float16ToFloat32(halves);
    expect(Array.from(f.slice(0, 9))).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      1023 * 2 ** -24,
      0,
      -0,
      Infinity,
      -Infinity,
    ]);
    expect(f[9]).toBeNaN();
    expect(f[10]).toBeCloseTo(0.333251953125, 12);
  });

  it('round-trips every finite half through float32', () => {
    const all = Uint16Array.from({ length: 0x7c00 }, (_, i) => i);
    expect(float32ToFloat16(float16ToFloat32(all))).toEqual(all);
  });
});

describe('quantized weights', () => {
  it.each(['uint8', 'uint16', 'float16'] as Quantize[])('decodes %s weights as TF.js does', async (q) => {
    const values = randomArray(3 * 3 * 2 * 4, 99, -0.7, 1.3);
    const g = new TfGraph();
    g.input('x', [1, 5, 5, 2]);
    g.const('w', [3, 3, 2, 4], values, { quantize: q });
    g.node('Conv2D', 'y', ['x', 'w'], {
      strides: attr.ints([1, 1, 1, 1]),
      padding: attr.s('SAME'),
      dilations: attr.ints([1, 1, 1, 1]),
      data_format: attr.s('NHWC'),
    });
    const { json, weightData } = g.build(['y']);

    // Our decoding equals TF.js's own (its io.decodeWeights) bit for bit.
    const ours = decodeWeights(json, weightData, 'q').get('w')!;
    const theirs = tf.io.decodeWeights(
      weightData.buffer as ArrayBuffer,
      json.weightsManifest[0]!.weights as tf.io.WeightsManifestEntry[],
    );
    expect(Array.from(ours.data)).toEqual(Array.from(theirs.w!.dataSync()));
    // And it is the value quantized: within half a step (float16: 2^-11 relative).
    const step = q === 'uint8' ? 2 / 255 : q === 'uint16' ? 2 / 65535 : 2 ** -10;
    expect(maxAbsDiff(ours.data, values)).toBeLessThanOrEqual(step);

    const converted = convertTfjsModel({ name: 'q', json, weightData });
    const x = randomArray(50, 3);
    const got = await runOnnx(converted.onnx, { x: { data: x, dims: [1, 5, 5, 2] } });
    const ref = runGraphModel(await loadGraphModel(json, weightData), x, [1, 5, 5, 2], ['y'])[0]!;
    expect(maxAbsDiff(got.y!.data, ref.data)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(ref.data)));
  });

  it('reads int32 constants unchanged', () => {
    const g = new TfGraph();
    g.ints('shape', [1, -1, 7]);
    const { json, weightData } = g.build([]);
    const w = decodeWeights(json, weightData, 'i').get('shape')!;
    expect(w.dtype).toBe('int32');
    expect(Array.from(w.data)).toEqual([1, -1, 7]);
  });

  it('reports a weight that runs past the end of the shards', () => {
    const g = new TfGraph();
    g.const('w', [4, 4]);
    const { json, weightData } = g.build([]);
    expect(() => decodeWeights(json, weightData.slice(0, 40), 'short')).toThrow(
      'Model "short": weight "w" runs past the end of the shards',
    );
  });
});
