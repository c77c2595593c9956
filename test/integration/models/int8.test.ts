// gear's convolutions on 8-bit integers: the stored calibration is current, and the bundled model still gives the
// float model's race on every demo face, each probability close to it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTfjsModel, readTfjsSource } from '../../../src/main/models/convert';
import { augmentForCalibration, measureInt8Ranges } from '../../../src/main/models/convert/int8';
import { uint8Params, type Int8Range } from '../../../src/main/models/convert/ops';
import { captureInputs } from '../../helpers/models/capture';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const manifest = JSON.parse(readFileSync(`${ROOT}resources/models/gear.json`, 'utf8')) as {
  source: { package: string; path: string };
  outputs: Record<string, string>;
  int8: { convs: Record<string, Int8Range> };
};
const source = readTfjsSource(`${ROOT}node_modules/${manifest.source.package}/${manifest.source.path}`);
const sessions: ort.InferenceSession[] = [];
let items: Float32Array[] = [];
let dims: [number, number, number];

beforeAll(async () => {
  const { captured } = await captureInputs();
  const gear = captured.get('gear')!;
  items = gear.items;
  dims = gear.dims as [number, number, number];
});

afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function run(model: Uint8Array, output: string): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  sessions.push(session);
  const per = dims[0] * dims[1] * dims[2];
  const data = new Float32Array(items.length * per);
  items.forEach((item, k) => data.set(item, k * per));
  const out = await session.run({ input_1: new ort.Tensor('float32', data, [items.length, ...dims]) });
  const flat = out[output]!.data as Float32Array;
  const row = flat.length / items.length;
  return items.map((_, k) => flat.slice(k * row, (k + 1) * row));
}

const argmax = (v: Float32Array) => v.indexOf(Math.max(...v));

describe('int8 convolutions (gear)', () => {
  it('quantizes so that 0 is exact and the whole range fits', () => {
    for (const [lo, hi] of [
      [0, 1],
      [-0.37, 2.9],
      [0.2, 5],
      [-3, -1],
    ] as const) {
      const { scale, zeroPoint } = uint8Params(lo, hi);
      expect(Number.isInteger(zeroPoint) && zeroPoint >= 0 && zeroPoint <= 255).toBe(true);
      expect((0 - zeroPoint) * scale).toBeCloseTo(Math.min(0, lo), 2);
      expect((255 - zeroPoint) * scale).toBeGreaterThanOrEqual(Math.max(0, hi) - scale);
    }
  });

  it('stores the ranges a fresh calibration measures', async () => {
    const fresh = await measureInt8Ranges(source, augmentForCalibration(items, dims[1], dims[2]), dims);
    expect(Object.keys(manifest.int8.convs).sort()).toEqual(Object.keys(fresh).sort());
    for (const [name, r] of Object.entries(fresh)) {
      for (const side of ['input', 'output'] as const) {
        r[side].forEach((v, k) => {
          expect(manifest.int8.convs[name]![side][k], `${name} ${side}[${k}]`).toBeCloseTo(v, 3);
        });
      }
    }
  });

  it('gives the float model race on every demo face, each probability within 0.08', async () => {
    expect(items.length).toBe(22);
    const bundled = readFileSync(`${ROOT}resources/models/gear.onnx`);
    // The bundled file is the conversion with the stored ranges, and those make QLinearConv nodes.
    const quantized = convertTfjsModel(source, { int8: manifest.int8.convs }).onnx;
    expect(Buffer.compare(bundled, quantized)).toBe(0);
    const floatModel = convertTfjsModel(source).onnx;
    expect(bundled.includes('QLinearConv')).toBe(true);
    expect(Buffer.from(floatModel).includes('QLinearConv')).toBe(false);
    const float = await run(floatModel, 'race_output');
    const int8 = await run(bundled, 'race_output');
    let worst = 0;
    float.forEach((f, k) => {
      expect(argmax(int8[k]!), `face ${k}`).toBe(argmax(f));
      for (let r = 0; r < f.length; r++) worst = Math.max(worst, Math.abs(int8[k]![r]! - f[r]!));
    });
    console.log(
      `gear int8 vs float32 on ${items.length} demo faces: worst race probability diff ${worst.toFixed(4)}`,
    );
    expect(worst).toBeLessThanOrEqual(0.08);
  });
});
