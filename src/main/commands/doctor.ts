// `faceinsight doctor`: what this machine offers (providers, the chosen one and why), model files, database.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '../../shared/errors';
import { EXECUTION_PROVIDERS, type ExecutionProviderRequest } from '../../shared/api';
import { chooseExecutionProvider, supportedBackends } from '../models/ep';
import { loadRegistry } from '../models/registry';
import { appVersion } from '../app';
import { dataPaths, resolveDataDir, resourcesDir } from '../paths';
import { openStore } from '../store/index';

export const DOCTOR_HELP = `  faceinsight doctor [--ep auto|cpu|webgpu|cuda|dml|coreml] [--recheck] [--db FILE] [--json]
      Execution providers available and the one chosen (with the reason), model files with status and sha256,
      manifest problems, the database's schema version. --recheck probes the GPU again instead of the cache.`;

function sha256(file: string): Promise<string> {
  return new Promise((ok, fail) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (b) => h.update(b))
      .on('end', () => ok(h.digest('hex')))
      .on('error', fail);
  });
}

export async function doctorCmd(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      db: { type: 'string' },
      'data-dir': { type: 'string' },
      ep: { type: 'string', default: 'auto' },
      recheck: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
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
  const models = await Promise.all(
    registry.list().map(async (m) => ({
      id: m.id,
      version: m.manifest.version,
      task: m.manifest.task,
      origin: m.origin,
      status: m.status,
      file: m.modelPath,
      bytes: m.status === 'ready' ? statSync(m.modelPath).size : null,
      sha256: m.status === 'ready' ? await sha256(m.modelPath) : null,
    })),
  );
  let database: { path: string; exists: boolean; schemaVersion: number | null } = {
    path: resolve(paths.dbPath),
    exists: existsSync(paths.dbPath),
    schemaVersion: null,
  };
  if (database.exists) {
    const store = openStore(paths.dbPath, { readonly: true });
    database = { ...database, schemaVersion: store.schemaVersion() };
    store.close();
  }
  const report = {
    version: appVersion(),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    dataDir: paths.dataDir,
    providers: {
      available: supportedBackends().map((b) => b.name),
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
    console.log(
      `requested ${report.providers.requested} -> using ${report.providers.chosen}: ${report.providers.reason}`,
    );
    console.log('models:');
    for (const m of models) {
      const size =
        m.bytes === null ? '' : ` ${(m.bytes / 1e6).toFixed(1)} MB sha256 ${m.sha256?.slice(0, 16)}…`;
      console.log(`  ${m.id.padEnd(14)} ${m.version.padEnd(22)} ${m.origin.padEnd(8)} ${m.status}${size}`);
    }
    for (const p of report.problems) console.log(`problem: ${p}`);
    for (const n of report.notes) console.log(`note: ${n}`);
    console.log(
      `database: ${database.path} ${database.exists ? `(schema ${database.schemaVersion})` : '(not created yet)'}`,
    );
  }
  const missing = models.filter((m) => m.status !== 'ready');
  return missing.length > 0 || report.problems.length > 0 ? 1 : 0;
}
