// Execution providers: the shared types, which providers this onnxruntime-node build has, and short ORT messages.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { EXECUTION_PROVIDERS, type ExecutionProviderRequest } from '../../shared/api';

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

/** Same bound as the converter's numerics check: a GPU that computes differently is not used. */
export const WARMUP_TOLERANCE = 1e-4;

export interface AdapterCheck {
  hardware: boolean;
  detail: string;
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
export function missingLibrary(backend: Backend): string | undefined {
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
