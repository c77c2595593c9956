// `faceinsight doctor`: what this machine offers (providers, the chosen one and why), model files, database.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppError } from '../../shared/errors';
import { EXECUTION_PROVIDERS, type ExecutionProviderRequest } from '../../shared/api';
import {
  checkGpuAdapter,
  chooseExecutionProvider,
  chooseModelProvider,
  supportedBackends,
  type EpDecision,
  type ExecutionProvider,
} from '../models/ep';
import { loadRegistry, type ModelEntry } from '../models/registry';
import { headModels } from '../analysis/heads';
import { appVersion } from '../app';
import { dataPaths, resolveDataDir, resourcesDir } from '../paths';
import { isPostgresUrl, openStore, redactDbTarget } from '../store/index';
import { parse, UsageError } from './common';

export const DOCTOR_HELP = `  faceinsight doctor [--ep auto|cpu|webgpu|cuda|dml|coreml] [--recheck] [--db FILE] [--json]
      Execution providers available, GPU adapters found, the provider chosen for the machine and for each model
      (with the reasons), model files with status and sha256, manifest problems, the database's schema version.
      --recheck probes the GPU (and each model's warm-up) again instead of reading the cache.`;

function sha256(file: string): Promise<string> {
  return new Promise((ok, fail) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (b) => h.update(b))
      .on('end', () => ok(h.digest('hex')))
      .on('error', fail);
  });
}

/** GPU providers with an adapter to look at (CUDA has no software adapter; its library is what can be missing). */
const ADAPTER_PROVIDERS: readonly string[] = ['webgpu', 'dml', 'coreml'];

/** Per GPU provider this build offers: whether it would run on a hardware adapter, and the adapter's name. */
function adapters(available: readonly string[]) {
  return available
    .filter((p): p is ExecutionProvider => ADAPTER_PROVIDERS.includes(p))
    .map((provider) => ({ provider, ...checkGpuAdapter(provider) }));
}

/** Where one model runs and why: the machine decision, refined per model for `auto` on a GPU (cached warm-up). */
async function modelProvider(
  machine: EpDecision,
  entry: ModelEntry,
  hash: string | null,
  opts: { dataDir: string; recheck: boolean },
) {
  if (hash === null) return { provider: null, reason: 'model file missing' };
  const inputs = entry.manifest.inputs.map((i) => ({
    name: i.name,
    shape: i.layout === 'NHWC' ? [...i.size, i.channels] : [i.channels, ...i.size],
    dtype: i.dtype,
  }));
  const read = () => readFile(entry.modelPath);
  const d = await chooseModelProvider(machine, { id: entry.id, hash, inputs, read }, opts);
  return { provider: d.provider, reason: d.reason };
}

export async function doctorCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ep: { type: 'string', default: 'auto' },
    recheck: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`doctor: unexpected argument "${positionals[0]}"`);
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(values.ep)) {
    throw new AppError(
      'invalid_request',
      `--ep: expected one of ${EXECUTION_PROVIDERS.join(', ')}, got "${values.ep}"`,
    );
  }
  const paths = dataPaths(resolveDataDir(values['data-dir']), values.db);
  const registry = await loadRegistry({
    bundledDir: join(resourcesDir(), 'models'),
    userDir: paths.userModelsDir,
  });
  const decision = await chooseExecutionProvider(values.ep as ExecutionProviderRequest, {
    dataDir: paths.dataDir,
    recheck: values.recheck ?? false,
  });
  const available = supportedBackends().map((b) => b.name);
  const recheck = values.recheck ?? false;
  const models: {
    id: string;
    version: string;
    task: string;
    origin: string;
    status: string;
    file: string;
    bytes: number | null;
    sha256: string | null;
    provider: string | null;
    reason: string;
  }[] = [];
  // One model at a time: a GPU warm-up of each competes for the same device.
  for (const m of registry.list()) {
    const hash = m.status === 'ready' ? await sha256(m.modelPath) : null;
    models.push({
      id: m.id,
      version: m.manifest.version,
      task: m.manifest.task,
      origin: m.origin,
      status: m.status,
      file: m.modelPath,
      bytes: m.status === 'ready' ? statSync(m.modelPath).size : null,
      sha256: hash,
      ...(await modelProvider(decision, m, hash, { dataDir: paths.dataDir, recheck })),
    });
  }
  // A PostgreSQL URL is shown without its password; it "exists" when the server answers (schema 0: empty).
  const pg = isPostgresUrl(paths.dbPath);
  let database: { path: string; exists: boolean; schemaVersion: number | null; error?: string } = {
    path: pg ? redactDbTarget(paths.dbPath) : resolve(paths.dbPath),
    exists: pg || existsSync(paths.dbPath),
    schemaVersion: null,
  };
  if (database.exists) {
    try {
      const store = openStore(paths.dbPath, { readonly: true, connectTimeoutMs: 5_000 });
      database = { ...database, schemaVersion: store.schemaVersion() };
      store.close();
    } catch (err) {
      if (!pg) throw err;
      database = { ...database, exists: false, error: (err as Error).message };
    }
  }
  const report = {
    outputs: outputSources(registry.list()),
    version: appVersion(),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    dataDir: paths.dataDir,
    providers: {
      available,
      adapters: adapters(available),
      requested: values.ep,
      chosen: decision.provider,
      reason: decision.reason,
    },
    models,
    problems: registry.problems.map((p) => `${p.file}: ${p.field ? `field "${p.field}": ` : ''}${p.message}`),
    notes: registry.info.map((p) => `${p.file}: ${p.message}`),
    database,
  };
  if (values.json) console.log(JSON.stringify(report));
  else {
    console.log(`FaceInsight Studio ${report.version} on Node ${report.node} (${report.platform})`);
    console.log(`data dir: ${report.dataDir}`);
    console.log(`execution providers available: ${report.providers.available.join(', ')}`);
    for (const a of report.providers.adapters) {
      console.log(
        `  ${a.provider}: ${a.hardware ? 'hardware adapter' : 'no hardware adapter'} (${a.detail})`,
      );
    }
    console.log(
      `requested ${report.providers.requested} -> using ${report.providers.chosen}: ${report.providers.reason}`,
    );
    console.log('models:');
    for (const m of models) {
      const size =
        m.bytes === null ? '' : ` ${(m.bytes / 1e6).toFixed(1)} MB sha256 ${m.sha256?.slice(0, 16)}…`;
      console.log(`  ${m.id.padEnd(14)} ${m.version.padEnd(22)} ${m.origin.padEnd(8)} ${m.status}${size}`);
      console.log(
        `  ${''.padEnd(14)} runs on ${m.provider ?? '-'}: ${m.reason === decision.reason ? 'as above' : m.reason}`,
      );
    }
    console.log('what each output comes from:');
    for (const o of report.outputs) console.log(`  ${o.output.padEnd(20)} ${o.kind.padEnd(8)} ${o.source}`);
    for (const p of report.problems) console.log(`problem: ${p}`);
    for (const n of report.notes) console.log(`note: ${n}`);
    console.log(
      `database: ${database.path} ${database.exists ? `(schema ${database.schemaVersion})` : database.error ? `(unreachable: ${database.error})` : '(not created yet)'}`,
    );
  }
  const missing = models.filter((m) => m.status !== 'ready');
  return missing.length > 0 || report.problems.length > 0 ? 1 : 0;
}

interface OutputSource {
  output: string;
  /** `model`: a network's output; `derived`: computed from other outputs; `learned`: from the user's labels. */
  kind: 'model' | 'derived' | 'learned';
  source: string;
}

/** Says plainly, per output the app shows, whether a bundled or user model makes it or it is derived / learned. */
function outputSources(entries: readonly ModelEntry[]): OutputSource[] {
  const ready = (task: string) => entries.filter((m) => m.status === 'ready' && m.manifest.task === task);
  const name = (task: string) => ready(task).map((m) => `${m.id} (${m.origin})`)[0] ?? 'missing';
  const parser = ready('face-parsing').find((m) => m.origin === 'user');
  const attributes = ready('attributes').find((m) => m.origin === 'user');
  // The models the analyzer serves age / gender and expression with (face-api's unless set otherwise).
  const serving = headModels((id) => entries.some((m) => m.id === id && m.status === 'ready'));
  const entry = (id: string) => entries.find((m) => m.id === id);
  const named = (id: string) => {
    const m = entry(id);
    return m ? `${m.id} (${m.origin})` : 'missing';
  };
  return [
    { output: 'face boxes', kind: 'model', source: name('face-detection') },
    { output: 'landmarks', kind: 'model', source: name('face-landmarks') },
    { output: 'expression', kind: 'model', source: named(serving.expression) },
    { output: 'age, gender', kind: 'model', source: named(serving.ageGender) },
    { output: 'race', kind: 'model', source: name('gear') },
    { output: 'identity embedding', kind: 'model', source: name('identity-embedding') },
    parser
      ? { output: 'parsing map', kind: 'model', source: `${parser.id} (user)` }
      : {
          output: 'parsing map',
          kind: 'derived',
          source: `no face-parsing model is bundled: drawn from the landmarks and the person matte (${name('person-segmentation')})`,
        },
    {
      output: 'CelebA attributes',
      kind: 'learned',
      source:
        `no CelebA attribute model is bundled: Male, Young, Smiling and Mouth_Slightly_Open are derived ` +
        `from the models above; every attribute is learned from your labels (learned heads)` +
        (attributes ? `; user model ${attributes.id} (user) scores the attributes its labels name` : ''),
    },
  ];
}
