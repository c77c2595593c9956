// App settings in `<dataDir>/settings.json` (atomic writes) and the cached execution-provider decision.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { EXECUTION_PROVIDERS, type AppSettings, type EpStatus } from '../../shared/api';
import { requestSchemas } from '../../shared/schemas';
import type { Handlers, ServiceContext } from './context';

export const DEFAULT_SETTINGS: AppSettings = { ep: 'auto', thresholds: {}, theme: 'system', views: [] };

const stored = requestSchemas['settings.set'];

/** The settings file, defaults filled in; an unreadable or invalid file reads as the defaults. */
export async function readSettings(dataDir: string): Promise<AppSettings> {
  try {
    const parsed = stored.safeParse(JSON.parse(await readFile(join(dataDir, 'settings.json'), 'utf8')));
    if (parsed.success) return { ...DEFAULT_SETTINGS, ...parsed.data };
  } catch {
    // No file yet (or a broken one): the defaults apply until the next save rewrites it.
  }
  return DEFAULT_SETTINGS;
}

export async function writeSettings(dataDir: string, settings: AppSettings): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, 'settings.json');
  // Temp file + rename: the job process reading thresholds never sees half a file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(settings, null, 2) + '\n');
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

const decision = z.object({
  provider: z.enum(EXECUTION_PROVIDERS),
  reason: z.string(),
  checkedAt: z.number(),
});

const modelDecision = z.object({
  modelId: z.string(),
  provider: z.enum(EXECUTION_PROVIDERS),
  reason: z.string(),
  gpu: z.enum(EXECUTION_PROVIDERS),
});

/**
 * The newest decision in `<dataDir>/ep.json` (written by the job process's runtime), with that machine's per-model
 * decisions for the GPU it chose. The UI process runs no inference, so it reports what the runtime decided.
 */
async function cachedDecision(dataDir: string): Promise<EpStatus> {
  try {
    const json = JSON.parse(await readFile(join(dataDir, 'ep.json'), 'utf8')) as {
      machines?: unknown;
      models?: Record<string, unknown>;
    };
    const all = Object.entries((json.machines ?? {}) as Record<string, unknown>)
      .map(([key, d]) => ({ key, r: decision.safeParse(d) }))
      .flatMap(({ key, r }) => (r.success ? [{ key, ...r.data }] : []))
      .sort((a, b) => b.checkedAt - a.checkedAt);
    const d = all[0];
    if (d) {
      const perModel = Object.values((json.models?.[d.key] ?? {}) as Record<string, unknown>)
        .map((m) => modelDecision.safeParse(m))
        .flatMap((r) => (r.success && r.data.gpu === d.provider ? [r.data] : []))
        .map((m) => ({ id: m.modelId, provider: m.provider, reason: m.reason }))
        .sort((a, b) => a.id.localeCompare(b.id));
      return { active: d.provider, reason: d.reason, at: d.checkedAt, models: perModel };
    }
  } catch {
    // No analysis has run on this machine yet: nothing decided.
  }
  return { active: null, reason: null, at: null, models: [] };
}

export function settingsHandlers(ctx: ServiceContext): Pick<Handlers, 'settings.get' | 'settings.set'> {
  const dir = ctx.deps.info.dataDir;
  return {
    'settings.get': async () => ({ settings: await readSettings(dir), ep: await cachedDecision(dir) }),
    'settings.set': async (change) => {
      const settings = { ...(await readSettings(dir)), ...change };
      await writeSettings(dir, settings);
      return { settings };
    },
  };
}
