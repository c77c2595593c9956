// Execution-provider choice: probe GPU providers, reject software adapters, check against CPU, then per model (warm-up
// matches CPU and is faster); decisions cached per machine and model file. The parts live in ep-common (types,
// backends), ep-adapter (hardware check), ep-probe (warm-ups) and ep-cache (ep.json); this module decides.
import {
  missingLibrary,
  supportedBackends,
  type AdapterCheck,
  type Backend,
  type EpDecision,
  type ExecutionProvider,
  type ExecutionProviderRequest,
} from './ep-common';
import { checkGpuAdapter } from './ep-adapter';
import {
  epCachePath,
  isCachedDecision,
  machineKey,
  readCache,
  updateCache,
  type ModelCache,
} from './ep-cache';
import {
  decideModel,
  probeProvider,
  warmupModel,
  type ModelDecision,
  type ModelProbe,
  type ModelTarget,
} from './ep-probe';

export * from './ep-common';
export * from './ep-adapter';
export * from './ep-probe';
export { epCachePath, machineKey } from './ep-cache';

/** Native providers first: they are faster than WebGPU on the hardware that has them. */
const AUTO_ORDER: readonly ExecutionProvider[] = ['cuda', 'dml', 'coreml', 'webgpu'];

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

export interface ModelChooseOptions extends Pick<
  ChooseOptions,
  'dataDir' | 'recheck' | 'supportedBackends' | 'now'
> {
  /** Injected for tests of the decision logic; default: {@link warmupModel} (real sessions). */
  probe?: ModelProbe;
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
