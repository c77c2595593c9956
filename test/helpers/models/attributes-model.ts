// A tiny CelebA attribute classifier with a known answer, written as ONNX, and its manifest.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOnnxModel } from '../../../src/main/models/onnx-builder';

export const ATTR_SIZE = 32;

/**
 * Mean of the red channel (0..1) -> logits [10·r − 5, 5 − 10·r] for [Eyeglasses, Smiling]: a red face is
 * "Eyeglasses" at sigmoid(5), a face without red is "Smiling" at sigmoid(5), and the two always sum to 1.
 */
export function attributesModelBytes(): Uint8Array {
  return buildOnnxModel({
    name: 'attrs',
    inputs: [{ name: 'input', shape: ['N', 3, ATTR_SIZE, ATTR_SIZE] }],
    outputs: [{ name: 'scores', shape: ['N', 2] }],
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['input'], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], attrs: { axis: { i: 1 } } },
      { op: 'MatMul', inputs: ['flat', 'w'], outputs: ['mm'] },
      { op: 'Add', inputs: ['mm', 'b'], outputs: ['scores'] },
    ],
    initializers: [
      { name: 'w', dims: [3, 2], data: Float32Array.of(10, -10, 0, 0, 0, 0) },
      { name: 'b', dims: [2], data: Float32Array.of(-5, 5) },
    ],
  });
}

/** Writes `<dir>/<name>.onnx` and its manifest (task `attributes`, logits). */
export async function writeAttributesModel(dir: string, name = 'my-attrs'): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.onnx`), attributesModelBytes());
  const manifest = {
    id: name,
    version: '1.0.0',
    task: 'attributes',
    file: `${name}.onnx`,
    inputs: [
      {
        name: 'input',
        layout: 'NCHW',
        size: [ATTR_SIZE, ATTR_SIZE],
        channels: 3,
        normalisation: 'RGB 0..1',
      },
    ],
    outputs: { scores: 'logits [N, 2]' },
    labels: { scores: ['Eyeglasses', 'Smiling'] },
    scores: 'logit',
    license: 'MIT',
  };
  await writeFile(join(dir, `${name}.json`), JSON.stringify(manifest, null, 2));
}
