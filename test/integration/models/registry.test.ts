// Registry + runtime on real ORT: a bring-your-own BiSeNet-shaped parser, bad inputs, and the provider choice.
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors';
import { checkGpuAdapter, chooseExecutionProvider, epCachePath } from '../../../src/main/models/ep';
import { CELEBAMASK_HQ_CLASSES } from '../../../src/main/models/manifest';
import { loadRegistry } from '../../../src/main/models/registry';
import { ModelRuntime, toClassMap } from '../../../src/main/models/runtime';
import {
  BISENET_CLASS_MAP,
  PARSER_SIZE,
  bandClass,
  bandedInput,
  parsingModelBytes,
  writeParsingModel,
} from '../../helpers/models/parsing-model';

const BUNDLED = resolve(__dirname, '../../../resources/models');
/** Tests that expect a CPU fallback only hold on a Linux box without a GPU a provider could use. */
const gpuCandidate =
  process.platform !== 'linux' ||
  existsSync('/dev/nvidia0') ||
  checkGpuAdapter('webgpu', { ...process.env }).hardware;

let dataDir: string;
let userDir: string;
let bundledDir: string;
const runtimes: ModelRuntime[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fi-models-'));
  userDir = join(dataDir, 'models');
  bundledDir = join(dataDir, 'bundled');
  await mkdir(bundledDir);
});
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.dispose()));
  await rm(dataDir, { recursive: true, force: true });
});

async function runtimeFor(provider: 'cpu' | 'auto' | 'webgpu' = 'cpu') {
  const registry = await loadRegistry({ bundledDir, userDir });
  const runtime = new ModelRuntime({ registry, dataDir, provider });
  runtimes.push(runtime);
  return { registry, runtime };
}

async function modelError(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const planeInput = (batch = 1) => ({
  input: { data: bandedInput(batch), dims: [batch, 3, PARSER_SIZE, PARSER_SIZE] },
});

describe('bring your own face-parsing model', () => {
  it('loads a BiSeNet-shaped model from the user folder and returns a 19-class map in canonical names', async () => {
    await writeParsingModel(userDir);
    const { registry, runtime } = await runtimeFor();
    expect(registry.problems).toEqual([]);
    const [entry] = registry.list();
    expect(entry).toMatchObject({
      id: 'my-parser',
      origin: 'user',
      status: 'ready',
      modelPath: join(userDir, 'my-parser.onnx'),
    });

    const out = await runtime.run('my-parser', planeInput());
    expect(out.output!.dims).toEqual([1, 19, 512, 512]);
    const [map] = toClassMap(out.output!, entry!.manifest);
    expect(map!.width).toBe(512);
    expect(map!.height).toBe(512);
    // Every row is one band of a known BiSeNet class; its canonical name must come through the classMap.
    for (let y = 0; y < PARSER_SIZE; y++) {
      const expected = BISENET_CLASS_MAP[String(bandClass(y))];
      expect(CELEBAMASK_HQ_CLASSES[map!.ids[y * PARSER_SIZE]!]).toBe(expected);
      expect(CELEBAMASK_HQ_CLASSES[map!.ids[y * PARSER_SIZE + PARSER_SIZE - 1]!]).toBe(expected);
    }
    expect(new Set(map!.ids).size).toBe(19);
    expect(await runtime.load('my-parser')).toEqual({
      id: 'my-parser',
      provider: 'cpu',
      reason: 'CPU requested',
    });
  });

  it('batches N items in runs of at most B and gives what separate runs give', async () => {
    await writeParsingModel(userDir);
    const { registry, runtime } = await runtimeFor();
    const batched = await runtime.runBatched('my-parser', planeInput(3), 2);
    expect(batched.output!.dims).toEqual([3, 19, 512, 512]);
    const maps = toClassMap(batched.output!, registry.get('my-parser').manifest);
    expect(maps).toHaveLength(3);
    const plane = 3 * PARSER_SIZE * PARSER_SIZE;
    const all = bandedInput(3);
    for (let b = 0; b < 3; b++) {
      const single = await runtime.run('my-parser', {
        input: { data: all.slice(b * plane, (b + 1) * plane), dims: [1, 3, PARSER_SIZE, PARSER_SIZE] },
      });
      const [one] = toClassMap(single.output!, registry.get('my-parser').manifest);
      expect(Buffer.compare(Buffer.from(one!.ids), Buffer.from(maps[b]!.ids))).toBe(0);
    }
    // Item 1's bands are shifted by one class: row 0 is BiSeNet class 1, "skin".
    expect(CELEBAMASK_HQ_CLASSES[maps[1]!.ids[0]!]).toBe('skin');
  });

  it('rejects an input of the wrong size or layout with the expected shape', async () => {
    await writeParsingModel(userDir);
    const { runtime } = await runtimeFor();
    const small = await modelError(
      runtime.run('my-parser', { input: { data: new Float32Array(3 * 256 * 256), dims: [1, 3, 256, 256] } }),
    );
    expect(small.code).toBe('invalid_request');
    expect(small.message).toBe(
      'Model "my-parser" input "input": expected [N, 3, 512, 512] (NCHW), got [1, 3, 256, 256]: ' +
        'height 256, expected 512; width 256, expected 512',
    );
    const nhwc = await modelError(
      runtime.run('my-parser', { input: { data: new Float32Array(3 * 512 * 512), dims: [1, 512, 512, 3] } }),
    );
    expect(nhwc.message).toMatch(/channels 512, expected 3/);
    const rank = await modelError(
      runtime.run('my-parser', { input: { data: new Float32Array(3), dims: [3] } }),
    );
    expect(rank.message).toMatch(/rank 1, expected 4/);
  });

  it('lets a user model override a bundled one of the same id and says so', async () => {
    await writeParsingModel(bundledDir);
    await writeParsingModel(userDir, { manifest: { version: '2.0.0' } });
    const { registry } = await runtimeFor();
    expect(registry.list()).toHaveLength(1);
    const entry = registry.get('my-parser');
    expect(entry.origin).toBe('user');
    expect(entry.manifest.version).toBe('2.0.0');
    expect(registry.info).toEqual([
      {
        file: join(userDir, 'my-parser.json'),
        field: 'id',
        message: `user model "my-parser" overrides the bundled one (${join(bundledDir, 'my-parser.json')})`,
      },
    ]);
  });
});

describe('bad input', () => {
  it('reports a truncated .onnx as a model_error and keeps serving other models', async () => {
    const bytes = parsingModelBytes();
    await writeParsingModel(userDir, {
      name: 'broken',
      bytes: bytes.subarray(0, Math.floor(bytes.length / 2)),
    });
    await writeParsingModel(userDir);
    const { runtime } = await runtimeFor();
    const err = await modelError(runtime.load('broken'));
    expect(err.code).toBe('model_error');
    expect(err.message).toBe(
      `Model "broken": cannot load ${join(userDir, 'broken.onnx')}: Failed to load model because protobuf parsing failed.`,
    );
    expect(err.hint).toMatch(/truncated/);
    expect((await runtime.run('my-parser', planeInput())).output!.dims).toEqual([1, 19, 512, 512]);
  });

  it('names the model, the expected and the actual output names when the manifest is wrong', async () => {
    await writeParsingModel(userDir, { manifest: { outputs: { logits: 'class scores' } } });
    const { runtime } = await runtimeFor();
    const err = await modelError(runtime.run('my-parser', planeInput()));
    expect(err.code).toBe('model_error');
    expect(err.message).toBe(
      'Model "my-parser" does not match its manifest: outputs expected [logits], the model has [output]',
    );
    expect(err.where).toEqual({ file: join(userDir, 'my-parser.json'), field: 'outputs' });
  });

  it('reports a classMap that does not cover the model classes', async () => {
    const classMap = Object.fromEntries(Object.entries(BISENET_CLASS_MAP).slice(0, 18));
    await writeParsingModel(userDir, { manifest: { classMap } });
    const { runtime } = await runtimeFor();
    const err = await modelError(runtime.load('my-parser'));
    expect(err.message).toBe('Model "my-parser" output "output" has 19 classes, but classMap maps 18');
    expect(err.where?.field).toBe('classMap');
  });

  it('skips a manifest with a bad field or bad JSON, naming file and field, and loads the rest', async () => {
    await writeParsingModel(userDir);
    await writeParsingModel(userDir, {
      name: 'bad-layout',
      manifest: {
        inputs: [{ name: 'input', layout: 'CHW', size: [512, 512], channels: 3, normalisation: '0..1' }],
      },
    });
    await writeFile(join(userDir, 'syntax.json'), '{ "id": "syntax", ');
    const { registry } = await runtimeFor();
    expect(registry.list().map((m) => m.id)).toEqual(['my-parser']);
    expect(registry.problems).toEqual([
      expect.objectContaining({ file: join(userDir, 'bad-layout.json'), field: 'inputs[0].layout' }),
      expect.objectContaining({
        file: join(userDir, 'syntax.json'),
        message: expect.stringMatching(/^not valid JSON/),
      }),
    ]);
    expect(await modelError(Promise.resolve().then(() => registry.get('bad-layout')))).toMatchObject({
      code: 'not_found',
    });
  });

  it('lists a model whose .onnx is missing and explains how to get it', async () => {
    await writeParsingModel(bundledDir);
    await rm(join(bundledDir, 'my-parser.onnx'));
    const { registry, runtime } = await runtimeFor();
    expect(registry.list()[0]).toMatchObject({
      status: 'missing-file',
      modelPath: join(bundledDir, 'my-parser.onnx'),
    });
    const err = await modelError(runtime.load('my-parser'));
    expect(err.code).toBe('model_error');
    expect(err.message).toBe(`Model "my-parser": ${join(bundledDir, 'my-parser.onnx')} not found`);
    expect(err.hint).toBe('run npm run models');
    // The file appearing later (npm run models ran) is picked up without reloading the registry.
    await writeFile(join(bundledDir, 'my-parser.onnx'), parsingModelBytes());
    expect((await runtime.load('my-parser')).provider).toBe('cpu');
    expect(registry.list()[0]!.status).toBe('ready');
  });

  it('reports two manifests claiming one id in the same folder', async () => {
    await writeParsingModel(userDir);
    await writeParsingModel(userDir, { name: 'second', manifest: { id: 'my-parser' } });
    const { registry } = await runtimeFor();
    expect(registry.problems).toEqual([
      expect.objectContaining({
        file: join(userDir, 'second.json'),
        field: 'id',
        message: expect.stringMatching(/already used/),
      }),
    ]);
  });
});

describe('execution providers on this machine', () => {
  it.skipIf(gpuCandidate)('auto falls back to CPU with a reason and caches it in ep.json', async () => {
    const d = await chooseExecutionProvider('auto', { dataDir });
    expect(d.provider).toBe('cpu');
    expect(d.requested).toBe('auto');
    expect(d.reason).toMatch(/^no usable GPU provider: /);
    expect(d.reason).toMatch(/webgpu: /);
    const cache = JSON.parse(await readFile(epCachePath(dataDir), 'utf8'));
    expect(Object.values(cache.machines)).toEqual([d]);
  });

  it.skipIf(gpuCandidate)(
    'an explicit webgpu request degrades to CPU with its reason, and models still run',
    async () => {
      await writeParsingModel(userDir);
      const { runtime } = await runtimeFor('webgpu');
      const d = await runtime.executionProvider();
      expect(d).toMatchObject({ provider: 'cpu', requested: 'webgpu' });
      expect(d.reason).toMatch(
        /^webgpu requested but unusable: webgpu session failed to create: .+; using CPU$/,
      );
      expect((await runtime.load('my-parser')).provider).toBe('cpu');
      expect((await runtime.run('my-parser', planeInput())).output!.dims).toEqual([1, 19, 512, 512]);
    },
  );

  it('switching provider releases sessions and keeps serving', async () => {
    await writeParsingModel(userDir);
    const { runtime } = await runtimeFor('cpu');
    await runtime.load('my-parser');
    expect(await runtime.loadedModels()).toHaveLength(1);
    const d = await runtime.setExecutionProvider('auto');
    expect(await runtime.loadedModels()).toHaveLength(0);
    expect((await runtime.load('my-parser')).provider).toBe(d.provider);
  });
});

const hasEmotion = existsSync(join(BUNDLED, 'emotion.onnx'));
const bundledManifests = existsSync(BUNDLED)
  ? readdirSync(BUNDLED).filter((f) => f.endsWith('.json') && !f.startsWith('.'))
  : [];

describe('bundled manifests', () => {
  it.skipIf(bundledManifests.length === 0)(
    'all validate and, where converted, match their ONNX files',
    async () => {
      const registry = await loadRegistry({ bundledDir: BUNDLED });
      expect(registry.problems).toEqual([]);
      const runtime = new ModelRuntime({ registry, dataDir, provider: 'cpu' });
      runtimes.push(runtime);
      for (const m of registry.list().filter((e) => e.status === 'ready')) {
        expect((await runtime.load(m.id)).provider).toBe('cpu');
      }
    },
  );

  it.skipIf(!hasEmotion)(
    'reports a truncated copy of a bundled model with the npm run models hint',
    async () => {
      await copyFile(join(BUNDLED, 'emotion.json'), join(bundledDir, 'emotion.json'));
      const bytes = await readFile(join(BUNDLED, 'emotion.onnx'));
      await writeFile(join(bundledDir, 'emotion.onnx'), bytes.subarray(0, bytes.length >> 1));
      const { runtime } = await runtimeFor();
      const err = await modelError(runtime.load('emotion'));
      expect(err.code).toBe('model_error');
      expect(err.message).toMatch(/^Model "emotion": cannot load .*emotion\.onnx: /);
      expect(err.hint).toBe('the file may be truncated or corrupt: run npm run models to regenerate it');
    },
  );

  it.skipIf(!hasEmotion)(
    'runs a bundled model in batches equal to single runs, and checks its channels',
    async () => {
      const registry = await loadRegistry({ bundledDir: BUNDLED });
      const runtime = new ModelRuntime({ registry, dataDir, provider: 'cpu' });
      runtimes.push(runtime);
      const [input] = registry.get('emotion').manifest.inputs;
      const per = 64 * 64;
      const data = new Float32Array(5 * per);
      // Deterministic, face-independent values in the model's (g - 0.5) * 2 range.
      for (let k = 0; k < data.length; k++) data[k] = Math.sin(k * 0.37) * 0.9;
      const all = await runtime.runBatched('emotion', { [input!.name]: { data, dims: [5, 64, 64, 1] } }, 2);
      const [outName] = Object.keys(registry.get('emotion').manifest.outputs);
      expect(all[outName!]!.dims).toEqual([5, 7]);
      for (let b = 0; b < 5; b++) {
        const one = await runtime.run('emotion', {
          [input!.name]: { data: data.slice(b * per, (b + 1) * per), dims: [1, 64, 64, 1] },
        });
        const got = all[outName!]!.data.subarray(b * 7, (b + 1) * 7) as Float32Array;
        const want = one[outName!]!.data as Float32Array;
        expect(Math.max(...got.map((v, k) => Math.abs(v - want[k]!)))).toBeLessThanOrEqual(1e-6);
      }
      const rgb = await modelError(
        runtime.run('emotion', { [input!.name]: { data: new Float32Array(3 * per), dims: [1, 64, 64, 3] } }),
      );
      expect(rgb.message).toMatch(/channels 3, expected 1/);
    },
  );
});
