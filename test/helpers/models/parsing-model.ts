// Writes a small ONNX model with BiSeNet's face-parsing signature plus its manifest, for bring-your-own tests.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOnnxModel } from '../../../src/main/models/onnx-builder';

/** BiSeNet (zllrunning/face-parsing.PyTorch) class order, mapped to CelebAMask-HQ names in the manifest. */
export const BISENET_CLASS_MAP: Record<string, string> = {
  '0': 'background',
  '1': 'skin',
  '2': 'l_brow',
  '3': 'r_brow',
  '4': 'l_eye',
  '5': 'r_eye',
  '6': 'eye_g',
  '7': 'l_ear',
  '8': 'r_ear',
  '9': 'ear_r',
  '10': 'nose',
  '11': 'mouth',
  '12': 'u_lip',
  '13': 'l_lip',
  '14': 'neck',
  '15': 'neck_l',
  '16': 'cloth',
  '17': 'hair',
  '18': 'hat',
};

export const PARSER_SIZE = 512;
export const PARSER_CLASSES = 19;

/**
 * One 1x1 Conv, 3 -> 19 channels: logit_c = c * x0 - c^2 / 2. Its argmax over c is round(x0), so an input whose
 * first channel holds k at a pixel parses that pixel as class k: a known answer for every class.
 */
export function parsingModelBytes(opts: { inputName?: string; outputName?: string } = {}): Uint8Array {
  const weights = new Float32Array(PARSER_CLASSES * 3);
  const bias = new Float32Array(PARSER_CLASSES);
  for (let c = 0; c < PARSER_CLASSES; c++) {
    weights[c * 3] = c;
    bias[c] = (-c * c) / 2;
  }
  const input = opts.inputName ?? 'input';
  const output = opts.outputName ?? 'output';
  return buildOnnxModel({
    name: 'bisenet-like',
    inputs: [{ name: input, shape: ['N', 3, PARSER_SIZE, PARSER_SIZE] }],
    outputs: [{ name: output, shape: ['N', PARSER_CLASSES, PARSER_SIZE, PARSER_SIZE] }],
    nodes: [
      {
        op: 'Conv',
        inputs: [input, 'weight', 'bias'],
        outputs: [output],
        attrs: { kernel_shape: { ints: [1, 1] } },
      },
    ],
    initializers: [
      { name: 'weight', dims: [PARSER_CLASSES, 3, 1, 1], data: weights },
      { name: 'bias', dims: [PARSER_CLASSES], data: bias },
    ],
  });
}

export function parsingManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'my-parser',
    version: '1.0.0',
    task: 'face-parsing',
    file: 'my-parser.onnx',
    inputs: [
      {
        name: 'input',
        layout: 'NCHW',
        size: [PARSER_SIZE, PARSER_SIZE],
        channels: 3,
        dtype: 'float32',
        normalisation: 'RGB 0..1, then ImageNet mean/std',
      },
    ],
    outputs: { output: 'class logits [N, 19, 512, 512]' },
    classMap: BISENET_CLASS_MAP,
    license: 'MIT',
    ...overrides,
  };
}

/** Writes `<dir>/<name>.onnx` and `<dir>/<name>.json`; returns their paths. */
export async function writeParsingModel(
  dir: string,
  opts: { name?: string; manifest?: Record<string, unknown>; bytes?: Uint8Array } = {},
): Promise<{ onnx: string; manifest: string }> {
  const name = opts.name ?? 'my-parser';
  await mkdir(dir, { recursive: true });
  const onnx = join(dir, `${name}.onnx`);
  const manifest = join(dir, `${name}.json`);
  await writeFile(onnx, opts.bytes ?? parsingModelBytes());
  await writeFile(
    manifest,
    JSON.stringify(parsingManifest({ id: name, file: `${name}.onnx`, ...opts.manifest }), null, 2),
  );
  return { onnx, manifest };
}

/** An input whose first channel holds the BiSeNet class index of horizontal bands, one band per class. */
export function bandedInput(batch = 1): Float32Array {
  const plane = PARSER_SIZE * PARSER_SIZE;
  const x = new Float32Array(batch * 3 * plane);
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < PARSER_SIZE; y++) {
      // Item b shifts the bands by b classes, so batched outputs are distinguishable.
      const cls = (bandClass(y) + b) % PARSER_CLASSES;
      x.fill(cls, b * 3 * plane + y * PARSER_SIZE, b * 3 * plane + (y + 1) * PARSER_SIZE);
    }
  }
  return x;
}

export function bandClass(row: number): number {
  return Math.floor((row * PARSER_CLASSES) / PARSER_SIZE);
}
