// The `faceinsight` command (Node entry): serve, import; exit 0 ok, 1 data problems, 2 usage / bad input.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { join, resolve } from 'node:path';
import { AppError, formatError } from '../shared/errors';
import type { Job } from '../shared/api';
import { appVersion, resolveDataDir, startApp, type AppHost } from './app';
import { projectRoot } from './paths';
import { startHttpServer } from './transports/http';

const HELP = `faceinsight — FaceInsight Studio from the command line

Usage:
  faceinsight serve  [--port N] [--host ADDR] [--db FILE] [--data-dir DIR]
      Browser mode: serves the app on http://127.0.0.1:PORT/?token=… (printed on its own line).
  faceinsight import <folder> [--db FILE] [--data-dir DIR] [--json]
      Creates (or refreshes) the dataset rooted at <folder>: records every image, makes thumbnails.

Options for every command:
  --data-dir DIR   app data (thumbnails, models, settings); default $FACEINSIGHT_DATA_DIR or the OS app data dir
  --db FILE        database file; default <data-dir>/faceinsight.db
  -h, --help       this text
  -v, --version    the version

Exit codes: 0 ok; 1 the data has problems (a failed job); 2 usage or unreadable input.
`;

class UsageError extends Error {}

const common = {
  'data-dir': { type: 'string' },
  db: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} satisfies ParseArgsConfig['options'];

function parse<O extends ParseArgsConfig['options']>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function open(values: { 'data-dir'?: string; db?: string }): Promise<AppHost> {
  const dataDir = resolveDataDir(values['data-dir']);
  return startApp({ dataDir, dbPath: values.db ? resolve(values.db) : undefined, mode: 'browser' });
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, { port: { type: 'string' }, host: { type: 'string' } });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: not a port: ${values.port}`);
  const host = await open(values);
  const http = await startHttpServer(host, {
    host: values.host ?? '127.0.0.1',
    port,
    staticDir: join(projectRoot(), 'out', 'renderer'),
  });
  if (values.host && !['127.0.0.1', 'localhost', '::1'].includes(values.host)) {
    console.error(
      `warning: listening on ${values.host}; anyone who can reach it and has the token can use the app`,
    );
  }
  console.error(`FaceInsight Studio ${host.info.version} (browser mode), data: ${host.info.dataDir}`);
  console.log(http.url);
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await http.close();
  await host.close();
  return 0;
}

async function waitForJob(host: AppHost, jobId: number, onTick: (job: Job) => void): Promise<Job> {
  for (;;) {
    const env = await host.call('jobs.get', { id: jobId });
    if (!env.ok) throw AppError.fromData(env.error);
    const job = env.value as Job;
    onTick(job);
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') return job;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function importCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  const folder = positionals[0];
  if (!folder || positionals.length > 1) throw new UsageError('import: expected exactly one <folder>');
  const host = await open(values);
  try {
    const env = await host.call('datasets.create', { root: resolve(folder) });
    if (!env.ok) {
      console.error(`faceinsight import: ${formatError(env.error)}`);
      return env.error.code === 'io_error' || env.error.code === 'invalid_request' ? 2 : 1;
    }
    const { dataset, job } = env.value as { dataset: { id: number; root: string }; job: Job };
    let last = '';
    const final = await waitForJob(host, job.id, (j) => {
      const line = `importing ${dataset.root}: ${j.done}/${j.total}${j.failed ? ` (${j.failed} errors)` : ''}`;
      if (process.stderr.isTTY && line !== last) process.stderr.write(`\r${line}`);
      last = line;
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    const summary = {
      datasetId: dataset.id,
      jobId: final.id,
      state: final.state,
      ...final.summary,
      error: final.error,
    };
    if (values.json) console.log(JSON.stringify(summary));
    else {
      const counts = Object.entries(final.summary)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(`dataset ${dataset.id} (${dataset.root}): import ${final.state}; ${counts || 'no files'}`);
      if (final.error) console.log(`error: ${final.error}`);
    }
    return final.state === 'done' ? 0 : 1;
  } finally {
    await host.close();
  }
}

const commands: Record<string, (args: string[]) => Promise<number>> = { serve, import: importCmd };

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    console.log(HELP);
    return cmd ? 0 : 2;
  }
  if (cmd === '-v' || cmd === '--version') {
    console.log(appVersion());
    return 0;
  }
  const run = commands[cmd];
  if (!run) {
    console.error(`faceinsight: unknown command "${cmd}"\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`faceinsight ${cmd}: ${err.message}\nRun \`faceinsight --help\` for usage.`);
      return 2;
    }
    const e = AppError.from(err);
    console.error(`faceinsight ${cmd}: ${formatError(e)}${e.hint ? `\nhint: ${e.hint}` : ''}`);
    if (e.code === 'internal') console.error(err);
    return e.code === 'io_error' || e.code === 'invalid_request' || e.code === 'parse_error' ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
