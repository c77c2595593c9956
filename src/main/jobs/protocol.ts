// Messages between the UI-serving process (host) and the job process (runner).
import type { ProgressReport } from './runner';

/**
 * `jobIds`: jobs the runner may now run (a runner started with `--scope own` runs only those). `secrets`: MLLM
 * API keys by endpoint id, from a host whose key store the job process cannot read (Electron's safeStorage).
 */
export type HostMessage =
  { type: 'wake'; jobIds?: number[]; secrets?: Record<string, string> } | { type: 'shutdown' };
export type RunnerMessage =
  { type: 'ready'; worker: string } | { type: 'progress'; progress: ProgressReport } | { type: 'idle' };

export function isRunnerMessage(m: unknown): m is RunnerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

/** Names the provider whose analysis models a new job process loads at once (`faceinsight analyze`). */
export const WARM_ANALYSIS_ENV = 'FACEINSIGHT_WARM_ANALYSIS';
