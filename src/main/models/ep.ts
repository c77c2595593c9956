// Execution-provider choice: probe GPU providers, reject software adapters, check against CPU, then per model (warm-up
// matches CPU and is faster); decisions cached per machine and model file.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { EXECUTION_PROVIDERS, type ExecutionProviderRequest } from '../../shared/api';
import { mulberry32 } from '../../shared/numeric';
import { buildOnnxModel } from './onnx-builder';

// One list for the API, the CLI and the runtime (src/shared/api.ts).
export { EXECUTION_PROVIDERS, type ExecutionProviderRequest };
export type ExecutionProvider = Exclude<ExecutionProviderRequest, 'auto'>;

/** Which provider runs, what was asked for, and why; `checkedAt` is ms UTC of the probe. */
export interface EpDecision {
  provider: ExecutionProvider;
  requested: ExecutionProviderRequest;
  reason: string;
  checkedAt: number;
}

/** Native providers first: they are faster than WebGPU on the hardware that has them. */
const AUTO_ORDER: readonly ExecutionProvider[] = ['cuda', 'dml', 'coreml', 'webgpu'];

/** Same bound as the converter's numerics check: a GPU that computes differently is not used. */
export const WARMUP_TOLERANCE = 1e-4;

export interface AdapterCheck {
  hardware: boolean;
  detail: string;
}

export interface ChooseOptions {
  /** The app data dir; the decision for `auto` is cached in `<dataDir>/ep.json`. */
  dataDir: string;
  /** Ignore the cached decision and probe again (doctor, settings "re-check"). */
  recheck?: boolean;
  /** Injected for tests of the decision logic; default: onnxruntime-node's own list. */
  supportedBackends?: () => readonly Backend[];
  /** Injected for tests; default: {@link checkGpuAdapter}. */
  adapterCheck?: (provider: ExecutionProvider) => AdapterCheck;
  now?: () => number;
}

export function isExecutionProviderRequest(x: unknown): x is ExecutionProviderRequest {
  return typeof x === 'string' && (EXECUTION_PROVIDERS as readonly string[]).includes(x);
}

/** A provider this onnxruntime-node build knows; `bundled: false` ones need a library its installer downloads. */
export interface Backend {
  name: string;
  bundled: boolean;
}

export function supportedBackends(): Backend[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

/** Where onnxruntime-node keeps its native libraries; unbundled providers' libraries land here when installed. */
function ortBinaryDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** Unbundled providers (CUDA, TensorRT) whose library is absent fail at session creation: say why up front. */
function missingLibrary(backend: Backend): string | undefined {
  if (backend.bundled) return undefined;
  const file =
    process.platform === 'win32'
      ? `onnxruntime_providers_${backend.name}.dll`
      : `libonnxruntime_providers_${backend.name}.so`;
  if (existsSync(join(ortBinaryDir(), file))) return undefined;
  return `${file} is not installed (onnxruntime-node's install step downloads it; it was skipped on this machine)`;
}

/** ORT's native messages start with a source path and a C++ lambda name; users need the sentence after them. */
export function shortOrtMessage(err: unknown): string {
  const msg = (err instanceof Error ? err.message : String(err)).trim();
  const afterFalse = msg.split(' was false. ').pop() ?? msg;
  const cleaned = afterFalse.replace(/\/onnxruntime_src\/\S+:\d+\s*/g, '').replace(/\s+/g, ' ');
  return cleaned.length > 300 ? `${cleaned.slice(0, 297)}...` : cleaned;
}

// --- the warm-up probe: a small conv net with fixed pseudo-random weights, run on CPU and on the candidate ---

const PROBE_SHAPE: readonly number[] = [1, 3, 32, 32];

function seeded(n: number, seed: number, scale: number): Float32Array {
  // Reproducible pseudo-random weights in [-scale, scale).
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = (rand() - 0.5) * 2 * scale;
  return out;
}

let probeBytes: Uint8Array | undefined;

/** Conv 3x3 -> Relu -> Conv 1x1 -> Sigmoid: the op families every bundled model leans on. */
export function probeModel(): Uint8Array {
  probeBytes ??= buildOnnxModel({
    name: 'ep-probe',
    inputs: [{ name: 'x', shape: [...PROBE_SHAPE] }],
    outputs: [{ name: 'y', shape: [1, 4, 32, 32] }],
    nodes: [
      {
        op: 'Conv',
        inputs: ['x', 'w1', 'b1'],
        outputs: ['h'],
        attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } },
      },
      { op: 'Relu', inputs: ['h'], outputs: ['hr'] },
      { op: 'Conv', inputs: ['hr', 'w2', 'b2'], outputs: ['z'], attrs: { kernel_shape: { ints: [1, 1] } } },
      { op: 'Sigmoid', inputs: ['z'], outputs: ['y'] },
    ],
    initializers: [
      { name: 'w1', dims: [8, 3, 3, 3], data: seeded(8 * 27, 1, 0.5) },
      { name: 'b1', dims: [8], data: seeded(8, 2, 0.1) },
      { name: 'w2', dims: [4, 8, 1, 1], data: seeded(32, 3, 0.5) },
      { name: 'b2', dims: [4], data: seeded(4, 4, 0.1) },
    ],
  });
  return probeBytes;
}

async function runProbe(provider: ExecutionProvider): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(probeModel(), {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
  });
  try {
    const x = seeded(
      PROBE_SHAPE.reduce((a, b) => a * b, 1),
      5,
      1,
    );
    const out = await session.run({ x: new ort.Tensor('float32', x, [...PROBE_SHAPE]) });
    return out.y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return Number.isNaN(m) ? Infinity : m;
}

type Probe = { ok: true; detail: string } | { ok: false; why: string };

/** Creates the probe on `provider` and compares one run with CPU. Never throws. */
export async function probeProvider(provider: ExecutionProvider): Promise<Probe> {
  let cpu: Float32Array;
  let gpu: Float32Array;
  try {
    cpu = await runProbe('cpu');
  } catch (err) {
    return { ok: false, why: `CPU reference run failed: ${shortOrtMessage(err)}` };
  }
  try {
    gpu = await runProbe(provider);
  } catch (err) {
    return { ok: false, why: `${provider} session failed to create: ${shortOrtMessage(err)}` };
  }
  const diff = maxAbsDiff(cpu, gpu);
  if (!(diff <= WARMUP_TOLERANCE)) {
    return { ok: false, why: `${provider} warm-up differs from CPU (max abs diff ${diff.toExponential(2)})` };
  }
  return { ok: true, detail: `warm-up matches CPU (max abs diff ${diff.toExponential(2)})` };
}

// --- hardware adapter check ---
// ORT does not expose which adapter Dawn (its WebGPU) or DirectML picked, so we look at what the OS offers:
// Dawn uses Vulkan on Linux, D3D12 on Windows and Metal on macOS, and asks for the high-performance adapter.

const SOFTWARE_RASTERISER = /lvp|lavapipe|llvmpipe|swiftshader|swrast|softpipe/i;
/** DRM drivers of virtual or display-only devices: no GPU compute behind them that we trust. */
const VIRTUAL_DRM = new Set([
  'vgem',
  'vkms',
  'virtio_gpu',
  'qxl',
  'bochs',
  'bochs-drm',
  'cirrus',
  'cirrus-qemu',
]);
const NON_GPU_DRM = new Set([
  ...VIRTUAL_DRM,
  'simpledrm',
  'vboxvideo',
  'vmwgfx',
  'hyperv_drm',
  'efifb',
  'udl',
]);

function icdManifests(env: NodeJS.ProcessEnv): string[] {
  const explicit = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  const entries = explicit
    ? explicit.split(':').filter(Boolean)
    : [
        '/etc/vulkan/icd.d',
        '/usr/share/vulkan/icd.d',
        '/usr/local/share/vulkan/icd.d',
        join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'vulkan', 'icd.d'),
      ];
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.endsWith('.json')) {
      if (existsSync(entry)) files.push(entry);
      continue;
    }
    try {
      for (const f of readdirSync(entry)) if (f.endsWith('.json')) files.push(join(entry, f));
    } catch {
      // A standard ICD folder that does not exist on this distribution: nothing to read there.
    }
  }
  return files;
}

function icdLibrary(file: string): string {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } };
    return json.ICD?.library_path ?? '';
  } catch {
    return '';
  }
}

function linuxGpuDevices(): string[] {
  const devices: string[] = [];
  if (existsSync('/dev/nvidia0')) devices.push('nvidia (/dev/nvidia0)');
  let nodes: string[] = [];
  try {
    nodes = readdirSync('/sys/class/drm').filter((n) => n.startsWith('renderD'));
  } catch {
    // No DRM class: a container or server without graphics devices.
  }
  for (const node of nodes) {
    try {
      const driver = basename(readlinkSync(`/sys/class/drm/${node}/device/driver`));
      if (!NON_GPU_DRM.has(driver)) devices.push(`${driver} (/dev/dri/${node})`);
    } catch {
      // A render node without a driver link is not a device we can name; skip it.
    }
  }
  return devices;
}

function checkLinux(env: NodeJS.ProcessEnv): AdapterCheck {
  const devices = linuxGpuDevices();
  const icds = icdManifests(env);
  const software = icds.filter(
    (f) => SOFTWARE_RASTERISER.test(basename(f)) || SOFTWARE_RASTERISER.test(icdLibrary(f)),
  );
  const hardware = icds.filter((f) => !software.includes(f));
  if (devices.length === 0) {
    return { hardware: false, detail: 'no GPU device (no /dev/nvidia0, no hardware DRM render node)' };
  }
  if (hardware.length === 0) {
    const seen = icds.length ? `only ${icds.map((f) => basename(f)).join(', ')}` : 'none installed';
    return { hardware: false, detail: `GPU ${devices.join(', ')} but no hardware Vulkan driver (${seen})` };
  }
  // A software ICD beside a hardware one could still be picked if the hardware driver fails to start; the
  // Vulkan loader (>= 1.3.234) skips drivers named here, so Dawn only ever sees the hardware ones.
  if (software.length && !env.VK_LOADER_DRIVERS_DISABLE) {
    env.VK_LOADER_DRIVERS_DISABLE = software.map((f) => basename(f)).join(',');
  }
  return {
    hardware: true,
    detail: `GPU ${devices.join(', ')}; Vulkan ${hardware.map((f) => basename(f)).join(', ')}`,
  };
}

function checkWindows(): AdapterCheck {
  const r = spawnSync(
    'powershell.exe',
    ['-NoProfile', '-Command', '(Get-CimInstance Win32_VideoController).Name'],
    { encoding: 'utf8', timeout: 10_000, windowsHide: true },
  );
  if (r.status !== 0)
    return { hardware: false, detail: 'could not list video controllers (powershell failed)' };
  const names = r.stdout
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  // WARP ("Microsoft Basic Render Driver") is Windows' software rasteriser; Basic Display has no GPU behind it.
  const real = names.filter((n) => !/basic render|basic display|remote display|indirect display/i.test(n));
  return real.length
    ? { hardware: true, detail: `GPU ${real.join(', ')}` }
    : { hardware: false, detail: `only software or display adapters (${names.join(', ') || 'none'})` };
}

/**
 * Whether `provider` would run on a hardware adapter. CUDA has no software implementation and Metal (macOS,
 * CoreML / WebGPU) exposes no software adapter, so only WebGPU on Linux and WebGPU / DirectML on Windows need a look.
 */
export function checkGpuAdapter(
  provider: ExecutionProvider,
  env: NodeJS.ProcessEnv = process.env,
): AdapterCheck {
  if (provider === 'cpu') return { hardware: false, detail: 'CPU' };
  if (provider === 'cuda') return { hardware: true, detail: 'CUDA runs only on NVIDIA hardware' };
  if (process.platform === 'darwin') return { hardware: true, detail: 'Metal adapters are hardware' };
  if (process.platform === 'win32') return checkWindows();
  if (process.platform === 'linux') return checkLinux(env);
  return { hardware: false, detail: `no adapter check for ${process.platform}` };
}

// --- the decision and its cache ---

interface EpCache {
  version: 1;
  machines: Record<string, EpDecision>;
}

export function epCachePath(dataDir: string): string {
  return join(dataDir, 'ep.json');
}

/** One machine, one ORT build, one set of providers: a change to any of them means probing again. */
export function machineKey(backends: readonly string[]): string {
  return `${hostname()}|onnxruntime-node ${ort.env.versions.node ?? 'unknown'}|${[...backends].sort().join(',')}`;
}

async function readCache(path: string): Promise<EpCache> {
  try {
    const json = JSON.parse(await readFile(path, 'utf8')) as Partial<EpCache>;
    if (json.version === 1 && json.machines && typeof json.machines === 'object') return json as EpCache;
  } catch {
    // Missing or unreadable cache: probe again and rewrite it.
  }
  return { version: 1, machines: {} };
}

async function writeCache(path: string, dataDir: string, cache: EpCache): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  // Temp file + rename: a reader (another process) never sees half a file.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(cache, null, 2) + '\n');
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function isCachedDecision(x: unknown): x is EpDecision {
  const d = x as EpDecision | undefined;
  return (
    !!d &&
    isExecutionProviderRequest(d.provider) &&
    d.provider !== ('auto' as string) &&
    d.requested === 'auto' &&
    typeof d.reason === 'string' &&
    typeof d.checkedAt === 'number'
  );
}

/**
 * Decides which provider runs for `requested`. Never throws for a provider that fails: it falls back to CPU
 * with the reason. `auto` is cached per machine in `<dataDir>/ep.json`; explicit requests are probed each time
 * (they are cheap and the user just asked for them).
 */
export async function chooseExecutionProvider(
  requested: ExecutionProviderRequest,
  opts: ChooseOptions,
): Promise<EpDecision> {
  const now = opts.now ?? Date.now;
  const available = (opts.supportedBackends ?? supportedBackends)();
  const backends = available.map((b) => b.name);
  const unavailable = (provider: ExecutionProvider): string | undefined => {
    const backend = available.find((b) => b.name === provider);
    return backend
      ? missingLibrary(backend)
      : `not in this onnxruntime-node build (it has ${backends.join(', ')})`;
  };
  const adapterCheck = opts.adapterCheck ?? ((p: ExecutionProvider) => checkGpuAdapter(p));
  const decide = (provider: ExecutionProvider, reason: string): EpDecision => ({
    provider,
    requested,
    reason,
    checkedAt: now(),
  });

  if (requested === 'cpu') return decide('cpu', 'CPU requested');

  if (requested !== 'auto') {
    const missing = unavailable(requested);
    if (missing) return decide('cpu', `${requested} requested but unusable: ${missing}; using CPU`);
    const probe = await probeProvider(requested);
    if (!probe.ok) return decide('cpu', `${requested} requested but unusable: ${probe.why}; using CPU`);
    const adapter = adapterCheck(requested);
    const note = adapter.hardware ? adapter.detail : `adapter not verified as hardware: ${adapter.detail}`;
    return decide(requested, `${requested} requested; ${probe.detail}; ${note}`);
  }

  const cachePath = epCachePath(opts.dataDir);
  const key = machineKey(backends);
  const cache = await readCache(cachePath);
  const cached = cache.machines[key];
  if (!opts.recheck && isCachedDecision(cached)) return cached;

  const rejected: string[] = [];
  let chosen: EpDecision | undefined;
  for (const provider of AUTO_ORDER) {
    if (!backends.includes(provider)) continue;
    const missing = unavailable(provider);
    if (missing) {
      rejected.push(`${provider}: ${missing}`);
      continue;
    }
    const adapter = adapterCheck(provider);
    if (!adapter.hardware) {
      rejected.push(`${provider}: ${adapter.detail}`);
      continue;
    }
    const probe = await probeProvider(provider);
    if (!probe.ok) {
      rejected.push(`${provider}: ${probe.why}`);
      continue;
    }
    chosen = decide(provider, `${provider} on ${adapter.detail}; ${probe.detail}`);
    break;
  }
  if (!chosen) {
    const tried = rejected.length
      ? rejected.join('; ')
      : `this onnxruntime-node build offers no GPU provider (${backends.join(', ')})`;
    chosen = decide('cpu', `no usable GPU provider: ${tried}`);
  }
  const decided = chosen;
  try {
    await updateCache(opts.dataDir, (c) => {
      c.machines[key] = decided;
    });
  } catch (err) {
    // A read-only data dir costs a probe per start, not the app.
    chosen.reason += `; not cached (${(err as Error).message})`;
  }
  return chosen;
}

// --- per-model decisions: the machine's GPU provider is used for a model only where it helps that model ---

/** A GPU output may differ from CPU by this share of the output's scale (its largest CPU magnitude, at least 1). */
export const MODEL_TOLERANCE = 1e-3;
/** Warm-up batch: the pipeline's default batch size (src/main/analysis/batcher.ts), unless the graph fixes one. */
export const WARMUP_BATCH = 8;
/** Timed runs after the first (the first compiles GPU shaders and is not timed). */
const WARMUP_RUNS = 3;

/** Which provider runs one model file on this machine, and why; `hash` is the .onnx's sha256. */
export interface ModelDecision {
  modelId: string;
  hash: string;
  provider: ExecutionProvider;
  reason: string;
  checkedAt: number;
  /** Median ms per warm-up batch on each provider, where both ran. */
  ms?: { gpu: number; cpu: number; batch: number };
}

/** One model input as its manifest states it: shape without the batch axis. */
export interface WarmupInput {
  name: string;
  shape: readonly number[];
  dtype: 'float32' | 'uint8' | 'int32';
}

/** A model to decide for; `read` is called only when a warm-up is needed. */
export interface ModelTarget {
  id: string;
  hash: string;
  inputs: readonly WarmupInput[];
  read: () => Promise<Uint8Array>;
}

/** What a warm-up run answered on one provider: its outputs and median ms per batch, or why it failed. */
export type WarmupAnswer =
  { ok: true; outputs: Record<string, Float32Array>; ms: number; batch: number } | { ok: false; why: string };

export type ModelProbe = (provider: ExecutionProvider, model: ModelTarget) => Promise<WarmupAnswer>;

export interface ModelChooseOptions extends Pick<
  ChooseOptions,
  'dataDir' | 'recheck' | 'supportedBackends' | 'now'
> {
  /** Injected for tests of the decision logic; default: {@link warmupModel} (real sessions). */
  probe?: ModelProbe;
}

function seededInput(input: WarmupInput, batch: number, seed: number): ort.Tensor {
  const dims = [batch, ...input.shape];
  const n = dims.reduce((a, b) => a * b, 1);
  // Values in 0..1 (uint8: 0..255): every bundled model's input range covers them.
  const unit = seeded(n, seed, 0.5).map((v) => v + 0.5);
  if (input.dtype === 'float32') return new ort.Tensor('float32', unit, dims);
  if (input.dtype === 'uint8')
    return new ort.Tensor(
      'uint8',
      Uint8Array.from(unit, (v) => v * 255),
      dims,
    );
  return new ort.Tensor(
    'int32',
    Int32Array.from(unit, (v) => v * 255),
    dims,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Creates `model` on `provider`, runs a seeded batch once untimed, then times {@link WARMUP_RUNS}. Never throws. */
export async function warmupModel(provider: ExecutionProvider, model: ModelTarget): Promise<WarmupAnswer> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(await model.read(), {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    return { ok: false, why: `session failed to create: ${shortOrtMessage(err)}` };
  }
  try {
    const lead = session.inputMetadata.find((m) => m.isTensor)?.shape[0];
    const batch = typeof lead === 'number' && lead > 0 ? lead : WARMUP_BATCH;
    const feeds = Object.fromEntries(model.inputs.map((i, k) => [i.name, seededInput(i, batch, 11 + k)]));
    let result = await session.run(feeds);
    const times: number[] = [];
    for (let r = 0; r < WARMUP_RUNS; r++) {
      const t0 = performance.now();
      result = await session.run(feeds);
      times.push(performance.now() - t0);
    }
    const outputs: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(result)) {
      if (t.data instanceof Float32Array) outputs[name] = t.data;
    }
    return { ok: true, outputs, ms: median(times), batch };
  } catch (err) {
    return { ok: false, why: `warm-up run failed: ${shortOrtMessage(err)}` };
  } finally {
    await session.release();
  }
}

/** Largest |gpu - cpu| over all outputs, each divided by its output's scale (max |cpu|, at least 1). */
export function relativeDiff(cpu: Record<string, Float32Array>, gpu: Record<string, Float32Array>): number {
  let worst = 0;
  for (const [name, ref] of Object.entries(cpu)) {
    const other = gpu[name];
    if (!other) return Infinity;
    let scale = 1;
    for (const v of ref) scale = Math.max(scale, Math.abs(v));
    worst = Math.max(worst, maxAbsDiff(ref, other) / scale);
  }
  return worst;
}

const ms2 = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

/**
 * The decision table for one model, given the machine's GPU provider and the two warm-up answers: GPU only when
 * it ran, matches CPU within {@link MODEL_TOLERANCE} of the output scale, and is faster.
 */
export function decideModel(
  gpuProvider: ExecutionProvider,
  cpu: WarmupAnswer,
  gpu: WarmupAnswer,
): Pick<ModelDecision, 'provider' | 'reason' | 'ms'> {
  if (!gpu.ok)
    return { provider: 'cpu', reason: `${gpuProvider} failed for this model (${gpu.why}); using CPU` };
  if (!cpu.ok) return { provider: 'cpu', reason: `CPU reference warm-up failed (${cpu.why}); using CPU` };
  const ms = { gpu: gpu.ms, cpu: cpu.ms, batch: gpu.batch };
  const diff = relativeDiff(cpu.outputs, gpu.outputs);
  if (!(diff <= MODEL_TOLERANCE)) {
    return {
      provider: 'cpu',
      reason: `${gpuProvider} output differs from CPU on this model (${diff.toExponential(2)} of the output scale, allowed ${MODEL_TOLERANCE}); using CPU`,
      ms,
    };
  }
  const timing = `${ms2(gpu.ms)} vs ${ms2(cpu.ms)} on CPU per batch of ${gpu.batch}`;
  if (!(gpu.ms < cpu.ms)) {
    return {
      provider: 'cpu',
      reason: `${gpuProvider} is not faster on this model (${timing}); using CPU`,
      ms,
    };
  }
  return {
    provider: gpuProvider,
    reason: `${gpuProvider} ${(cpu.ms / gpu.ms).toFixed(1)}x faster than CPU (${timing}); matches CPU within ${diff.toExponential(1)} of the output scale`,
    ms,
  };
}

interface ModelCache {
  version: 1;
  machines: Record<string, EpDecision>;
  /** Per machine key, per model id: the decision for one file (hash) and GPU provider. */
  models?: Record<string, Record<string, ModelDecision & { gpu: ExecutionProvider }>>;
}

/** Cache updates in this process run one after another, so parallel model loads do not drop each other's entry. */
let cacheQueue: Promise<unknown> = Promise.resolve();

function updateCache(dataDir: string, change: (cache: ModelCache) => void): Promise<void> {
  const next = cacheQueue.then(async () => {
    const path = epCachePath(dataDir);
    const cache = (await readCache(path)) as ModelCache;
    change(cache);
    await writeCache(path, dataDir, cache as EpCache);
  });
  cacheQueue = next.catch(() => undefined);
  return next;
}

/**
 * Which provider runs `model` on this machine. An explicit request is honoured as the machine decision says (a
 * session that fails still falls back in the runtime); `auto` with a GPU provider warms the model up on GPU and CPU,
 * keeps the GPU only where it matches and is faster, and caches that per machine, model id and file hash.
 */
export async function chooseModelProvider(
  machine: EpDecision,
  model: ModelTarget,
  opts: ModelChooseOptions,
): Promise<ModelDecision> {
  const now = opts.now ?? Date.now;
  const base = { modelId: model.id, hash: model.hash };
  if (machine.requested !== 'auto' || machine.provider === 'cpu') {
    return { ...base, provider: machine.provider, reason: machine.reason, checkedAt: machine.checkedAt };
  }
  const gpuProvider = machine.provider;
  const key = machineKey((opts.supportedBackends ?? supportedBackends)().map((b) => b.name));
  const cached = ((await readCache(epCachePath(opts.dataDir))) as ModelCache).models?.[key]?.[model.id];
  if (!opts.recheck && cached && cached.hash === model.hash && cached.gpu === gpuProvider) {
    const { gpu: _gpu, ...decision } = cached;
    return decision;
  }
  const probe = opts.probe ?? warmupModel;
  const gpu = await probe(gpuProvider, model);
  // Without a GPU answer there is nothing to compare: skip the CPU warm-up.
  const cpu = gpu.ok ? await probe('cpu', model) : ({ ok: false, why: 'not run' } as const);
  const decision: ModelDecision = { ...base, ...decideModel(gpuProvider, cpu, gpu), checkedAt: now() };
  try {
    await updateCache(opts.dataDir, (cache) => {
      cache.models ??= {};
      cache.models[key] = { ...cache.models[key], [model.id]: { ...decision, gpu: gpuProvider } };
    });
  } catch (err) {
    decision.reason += `; not cached (${(err as Error).message})`;
  }
  return decision;
}
