// The provider decisions' cache: <dataDir>/ep.json per machine key, written by temp file + rename.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { isExecutionProviderRequest, type EpDecision, type ExecutionProvider } from './ep-common';
import type { ModelDecision } from './ep-probe';

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

export async function readCache(path: string): Promise<EpCache> {
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

export function isCachedDecision(x: unknown): x is EpDecision {
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

export interface ModelCache {
  version: 1;
  machines: Record<string, EpDecision>;
  /** Per machine key, per model id: the decision for one file (hash) and GPU provider. */
  models?: Record<string, Record<string, ModelDecision & { gpu: ExecutionProvider }>>;
}

/** Cache updates in this process run one after another, so parallel model loads do not drop each other's entry. */
let cacheQueue: Promise<unknown> = Promise.resolve();

export function updateCache(dataDir: string, change: (cache: ModelCache) => void): Promise<void> {
  const next = cacheQueue.then(async () => {
    const path = epCachePath(dataDir);
    const cache = (await readCache(path)) as ModelCache;
    change(cache);
    await writeCache(path, dataDir, cache as EpCache);
  });
  cacheQueue = next.catch(() => undefined);
  return next;
}
