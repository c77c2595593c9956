// Execution-provider decision logic: fallbacks with reasons, the per-machine cache and its atomic file.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkGpuAdapter,
  chooseExecutionProvider,
  epCachePath,
  isExecutionProviderRequest,
  machineKey,
  shortOrtMessage,
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
