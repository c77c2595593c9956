// Execution-provider decision logic: fallbacks with reasons, the per-machine cache and its atomic file.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkGpuAdapter,
  chooseExecutionProvider,
  chooseModelProvider,
  epCachePath,
  isExecutionProviderRequest,
  machineKey,
  shortOrtMessage,
  type EpDecision,
  type ExecutionProvider,
  type ModelTarget,
  type WarmupAnswer,
} from '../../../../src/main/models/ep';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fi-ep-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const cpuAndWebgpu = () => [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
];
const softwareOnly = () => ({ hardware: false, detail: 'only lvp_icd.x86_64.json (software rasteriser)' });

describe('chooseExecutionProvider', () => {
  it('keeps auto on CPU when the only GPU adapter is a software rasteriser, and says so', async () => {
    const d = await chooseExecutionProvider('auto', {
      dataDir,
      supportedBackends: cpuAndWebgpu,
      adapterCheck: softwareOnly,
      now: () => 1000,
    });
    expect(d).toEqual({
      provider: 'cpu',
      requested: 'auto',
      reason: 'no usable GPU provider: webgpu: only lvp_icd.x86_64.json (software rasteriser)',
      checkedAt: 1000,
    });
  });

  it('says when the build offers no GPU provider at all', async () => {
    const d = await chooseExecutionProvider('auto', {
      dataDir,
      supportedBackends: () => [{ name: 'cpu', bundled: true }],
    });
    expect(d.provider).toBe('cpu');
    expect(d.reason).toBe('no usable GPU provider: this onnxruntime-node build offers no GPU provider (cpu)');
  });

  it('caches the auto decision per machine in ep.json, written atomically', async () => {
    const opts = { dataDir, supportedBackends: cpuAndWebgpu, adapterCheck: softwareOnly };
    const first = await chooseExecutionProvider('auto', { ...opts, now: () => 1 });
    const again = await chooseExecutionProvider('auto', { ...opts, now: () => 2 });
    expect(again).toEqual(first);
    const cache = JSON.parse(await readFile(epCachePath(dataDir), 'utf8'));
    expect(cache).toEqual({ version: 1, machines: { [machineKey(['cpu', 'webgpu'])]: first } });
    // Only ep.json is left: the temp file was renamed over it.
    expect(await readdir(dataDir)).toEqual(['ep.json']);
    const rechecked = await chooseExecutionProvider('auto', { ...opts, now: () => 3, recheck: true });
    expect(rechecked.checkedAt).toBe(3);
  });

  it('keys the cache by the available backends, so a new provider is probed again', async () => {
    await chooseExecutionProvider('auto', {
      dataDir,
      supportedBackends: cpuAndWebgpu,
      adapterCheck: softwareOnly,
    });
    const other = await chooseExecutionProvider('auto', {
      dataDir,
      supportedBackends: () => [{ name: 'cpu', bundled: true }],
    });
    expect(other.reason).toMatch(/offers no GPU provider/);
    const cache = JSON.parse(await readFile(epCachePath(dataDir), 'utf8'));
    expect(Object.keys(cache.machines)).toHaveLength(2);
  });

  it('rewrites an unreadable cache instead of failing', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(epCachePath(dataDir), '{ not json');
    const d = await chooseExecutionProvider('auto', {
      dataDir,
      supportedBackends: cpuAndWebgpu,
      adapterCheck: softwareOnly,
    });
    expect(d.provider).toBe('cpu');
    expect(JSON.parse(await readFile(epCachePath(dataDir), 'utf8')).version).toBe(1);
  });

  it('still decides when the cache cannot be written, and says so', async () => {
    const { writeFile } = await import('node:fs/promises');
    const notADir = join(dataDir, 'file');
    await writeFile(notADir, '');
    const d = await chooseExecutionProvider('auto', {
      dataDir: notADir,
      supportedBackends: cpuAndWebgpu,
      adapterCheck: softwareOnly,
    });
    expect(d.provider).toBe('cpu');
    expect(d.reason).toMatch(/; not cached \(/);
  });

  it('degrades an explicit provider the build lacks to CPU with the reason', async () => {
    const d = await chooseExecutionProvider('dml', { dataDir, supportedBackends: cpuAndWebgpu });
    expect(d.provider).toBe('cpu');
    expect(d.requested).toBe('dml');
    expect(d.reason).toBe(
      'dml requested but unusable: not in this onnxruntime-node build (it has cpu, webgpu); using CPU',
    );
  });

  it('names the missing library of an unbundled provider (CUDA without its install step)', async () => {
    const d = await chooseExecutionProvider('cuda', {
      dataDir,
      supportedBackends: () => [
        { name: 'cpu', bundled: true },
        { name: 'cuda', bundled: false },
      ],
    });
    expect(d.provider).toBe('cpu');
    expect(d.reason).toMatch(/onnxruntime_providers_cuda\.(so|dll) is not installed/);
  });

  it('answers cpu directly and writes no cache for it', async () => {
    const d = await chooseExecutionProvider('cpu', { dataDir });
    expect(d).toMatchObject({ provider: 'cpu', requested: 'cpu', reason: 'CPU requested' });
    expect(await readdir(dataDir)).toEqual([]);
  });
});

describe('helpers', () => {
  it('recognises the six provider names', () => {
    for (const p of ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'])
      expect(isExecutionProviderRequest(p)).toBe(true);
    expect(isExecutionProviderRequest('tensorrt')).toBe(false);
  });

  it('shortens ORT native messages to the sentence a user can read', () => {
    const raw =
      '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::' +
      'Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == ' +
      'wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters';
    expect(shortOrtMessage(new Error(raw))).toBe('Failed to get a WebGPU adapter: No supported adapters');
    expect(shortOrtMessage(new Error('Failed to load model because protobuf parsing failed.'))).toBe(
      'Failed to load model because protobuf parsing failed.',
    );
  });

  it('treats CUDA as hardware and CPU as not a GPU', () => {
    expect(checkGpuAdapter('cuda').hardware).toBe(true);
    expect(checkGpuAdapter('cpu').hardware).toBe(false);
  });

  it.runIf(process.platform === 'linux')(
    'rejects WebGPU when Vulkan offers only software drivers',
    async () => {
      const { mkdir, writeFile } = await import('node:fs/promises');
      const icd = join(dataDir, 'icd.d');
      await mkdir(icd);
      await writeFile(
        join(icd, 'lvp_icd.x86_64.json'),
        JSON.stringify({ ICD: { library_path: '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so' } }),
      );
      const env: NodeJS.ProcessEnv = { VK_DRIVER_FILES: join(icd, 'lvp_icd.x86_64.json') };
      const check = checkGpuAdapter('webgpu', env);
      expect(check.hardware).toBe(false);
      // Either no GPU device at all, or a device without a hardware Vulkan driver: both name what was found.
      expect(check.detail).toMatch(/no GPU device|only lvp_icd\.x86_64\.json/);
    },
  );
});

// Recorded answers of one model's warm-up (emotion, batch 8: 7 softmax scores a face), as a provider probe returns
// them; the decision logic, not the runtime, is what these tests fake.
const EMOTION_CPU = Float32Array.from([0.012, 0.001, 0.02, 0.71, 0.05, 0.007, 0.2]);
const answer = (ms: number, scores = EMOTION_CPU): WarmupAnswer => ({
  ok: true,
  outputs: { 'Identity:0': scores },
  ms,
  batch: 8,
});
const gpuMachine: EpDecision = {
  provider: 'webgpu',
  requested: 'auto',
  reason: 'webgpu on GPU nvidia (/dev/nvidia0); Vulkan nvidia_icd.json; warm-up matches CPU',
  checkedAt: 1,
};
const model = (id: string, hash = 'a'.repeat(64)): ModelTarget => ({
  id,
  hash,
  inputs: [{ name: 'input_1:0', shape: [64, 64, 1], dtype: 'float32' }],
  read: async () => new Uint8Array(),
});

/** A probe that answers from a table per provider and counts its calls. */
function recorded(table: Partial<Record<ExecutionProvider, WarmupAnswer>>) {
  const calls: string[] = [];
  const probe = async (provider: ExecutionProvider, m: ModelTarget) => {
    calls.push(`${m.id}:${provider}`);
    return table[provider] ?? { ok: false as const, why: 'no recorded answer' };
  };
  return { probe, calls };
}

describe('chooseModelProvider (auto, per model)', () => {
  const backends = cpuAndWebgpu;

  it('keeps every model on CPU with the machine reason when there is no GPU adapter, without a warm-up', async () => {
    const machine = await chooseExecutionProvider('auto', {
      dataDir,
      supportedBackends: backends,
      adapterCheck: () => ({
        hardware: false,
        detail: 'no GPU device (no /dev/nvidia0, no hardware DRM render node)',
      }),
    });
    const { probe, calls } = recorded({ webgpu: answer(1), cpu: answer(2) });
    const d = await chooseModelProvider(machine, model('emotion'), {
      dataDir,
      probe,
      supportedBackends: backends,
    });
    expect(d.provider).toBe('cpu');
    expect(d.reason).toBe(
      'no usable GPU provider: webgpu: no GPU device (no /dev/nvidia0, no hardware DRM render node)',
    );
    expect(calls).toEqual([]);
  });

  it('keeps every model on CPU when the only adapter is a software rasteriser', async () => {
    const machine = await chooseExecutionProvider('auto', {
      dataDir,
      supportedBackends: backends,
      adapterCheck: softwareOnly,
    });
    const { probe, calls } = recorded({ webgpu: answer(1), cpu: answer(2) });
    const d = await chooseModelProvider(machine, model('gear'), {
      dataDir,
      probe,
      supportedBackends: backends,
    });
    expect(d).toMatchObject({ provider: 'cpu', reason: expect.stringMatching(/software rasteriser/) });
    expect(calls).toEqual([]);
  });

  it('uses the GPU for a model that matches CPU and is faster', async () => {
    const close = EMOTION_CPU.map((v, i) => v + (i % 2 ? 2e-7 : -2e-7));
    const { probe, calls } = recorded({ webgpu: answer(2, close), cpu: answer(8) });
    const d = await chooseModelProvider(gpuMachine, model('faceres'), {
      dataDir,
      probe,
      supportedBackends: backends,
      now: () => 5,
    });
    expect(d).toEqual({
      modelId: 'faceres',
      hash: 'a'.repeat(64),
      provider: 'webgpu',
      reason: expect.stringMatching(
        /^webgpu 4\.0x faster than CPU \(2\.00 ms vs 8\.00 ms on CPU per batch of 8\); matches CPU within 2\.\de-7/,
      ),
      checkedAt: 5,
      ms: { gpu: 2, cpu: 8, batch: 8 },
    });
    expect(calls).toEqual(['faceres:webgpu', 'faceres:cpu']);
  });

  it('rejects a GPU whose output differs from CPU beyond 1e-3 of the output scale', async () => {
    const off = EMOTION_CPU.map((v, i) => (i === 3 ? v - 0.01 : v));
    const { probe } = recorded({ webgpu: answer(1, off), cpu: answer(8) });
    const d = await chooseModelProvider(gpuMachine, model('emotion'), {
      dataDir,
      probe,
      supportedBackends: backends,
    });
    expect(d.provider).toBe('cpu');
    expect(d.reason).toMatch(
      /^webgpu output differs from CPU on this model \(1\.00e-2 of the output scale, allowed 0\.001\); using CPU$/,
    );
  });

  it('keeps a model on CPU where the GPU is slower (small model, batch overhead)', async () => {
    const { probe } = recorded({ webgpu: answer(3.4), cpu: answer(1.2) });
    const d = await chooseModelProvider(gpuMachine, model('emotion'), {
      dataDir,
      probe,
      supportedBackends: backends,
    });
    expect(d.provider).toBe('cpu');
    expect(d.reason).toBe(
      'webgpu is not faster on this model (3.40 ms vs 1.20 ms on CPU per batch of 8); using CPU',
    );
    expect(d.ms).toEqual({ gpu: 3.4, cpu: 1.2, batch: 8 });
  });

  it('falls back per model when its session fails to create on the GPU, and records it', async () => {
    const why = 'session failed to create: Could not find an implementation for Einsum(12) node';
    const { probe, calls } = recorded({ webgpu: { ok: false, why }, cpu: answer(8) });
    const opts = { dataDir, probe, supportedBackends: backends };
    const d = await chooseModelProvider(gpuMachine, model('selfie'), opts);
    expect(d.provider).toBe('cpu');
    expect(d.reason).toBe(`webgpu failed for this model (${why}); using CPU`);
    expect(calls).toEqual(['selfie:webgpu']);
    const cache = JSON.parse(await readFile(epCachePath(dataDir), 'utf8'));
    expect(cache.models[machineKey(['cpu', 'webgpu'])].selfie).toMatchObject({
      provider: 'cpu',
      gpu: 'webgpu',
      reason: d.reason,
    });
  });

  it('answers a cached decision without a warm-up, and probes again for a new model hash', async () => {
    const { probe, calls } = recorded({ webgpu: answer(2), cpu: answer(8) });
    const opts = { dataDir, probe, supportedBackends: backends };
    const first = await chooseModelProvider(gpuMachine, model('gear'), { ...opts, now: () => 10 });
    const again = await chooseModelProvider(gpuMachine, model('gear'), { ...opts, now: () => 20 });
    expect(again).toEqual(first);
    expect(calls).toEqual(['gear:webgpu', 'gear:cpu']);
    const updated = await chooseModelProvider(gpuMachine, model('gear', 'b'.repeat(64)), {
      ...opts,
      now: () => 30,
    });
    expect(updated).toMatchObject({ hash: 'b'.repeat(64), checkedAt: 30 });
    expect(calls).toHaveLength(4);
    const rechecked = await chooseModelProvider(gpuMachine, model('gear', 'b'.repeat(64)), {
      ...opts,
      recheck: true,
    });
    expect(rechecked.provider).toBe('webgpu');
    expect(calls).toHaveLength(6);
  });

  it('keeps every model of parallel loads in the cache beside the machine decision', async () => {
    await chooseExecutionProvider('auto', {
      dataDir,
      supportedBackends: backends,
      adapterCheck: softwareOnly,
    });
    const { probe } = recorded({ webgpu: answer(2), cpu: answer(8) });
    const opts = { dataDir, probe, supportedBackends: backends };
    await Promise.all(
      ['emotion', 'gear', 'faceres', 'mobilefacenet'].map((id) =>
        chooseModelProvider(gpuMachine, model(id), opts),
      ),
    );
    const cache = JSON.parse(await readFile(epCachePath(dataDir), 'utf8'));
    const key = machineKey(['cpu', 'webgpu']);
    expect(Object.keys(cache.models[key]).sort()).toEqual(['emotion', 'faceres', 'gear', 'mobilefacenet']);
    expect(cache.machines[key].provider).toBe('cpu');
  });

  it('honours an explicit provider for every model without a warm-up', async () => {
    const explicit: EpDecision = { ...gpuMachine, requested: 'webgpu', reason: 'webgpu requested' };
    const { probe, calls } = recorded({});
    const d = await chooseModelProvider(explicit, model('facemesh'), {
      dataDir,
      probe,
      supportedBackends: backends,
    });
    expect(d).toMatchObject({ provider: 'webgpu', reason: 'webgpu requested' });
    expect(calls).toEqual([]);
  });
});
