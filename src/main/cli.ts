// The `faceinsight` command (Node entry): serve, import; exit 0 ok, 1 data problems, 2 usage / bad input.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError, formatError } from '../shared/errors';
import {
  ANNOTATION_FORMATS,
  EXPORT_FORMATS,
  type AnnotationFormat,
  type Job,
  type JobReport,
} from '../shared/api';
import { appVersion, resolveDataDir, startApp, type AppHost } from './app';
import { projectRoot } from './paths';
import { findReleases, releaseNames } from './datasets/formats/release';
import { startHttpServer } from './transports/http';
import { CHECK_HELP, checkCmd } from './commands/check';
import { ANALYZE_HELP, analyzeCmd } from './commands/analyze';
import { DOCTOR_HELP, doctorCmd } from './commands/doctor';
import { LEARN_HELP, learnCmd } from './commands/learn';
import { AUDIT_HELP, auditCmd } from './commands/audit';
import { JOBS_HELP, jobsCmd, noteLeftoverJobs, resumeLeftoverJobs } from './commands/jobs';
import { logger } from './log';

const HELP = `faceinsight — FaceInsight Studio from the command line

Usage:
  faceinsight serve  [--port N] [--host ADDR] [--allow-host NAME]… [--db FILE] [--data-dir DIR]
      Browser mode: serves the app on http://127.0.0.1:PORT/?token=… (printed on its own line). Requests
      must name the server by a loopback name, the --host address (for 0.0.0.0: any of the machine's
      addresses) or a name given with --allow-host (DNS-rebinding guard).
  faceinsight import <folder> [--db FILE] [--data-dir DIR] [--json] [--resume]
                     [--format FORMAT [--annotations FILE|FOLDER] [--max-errors N] [--map KEY=COLUMN,…|FILE.json]]
      Creates (or refreshes) the dataset rooted at <folder>: records every image, makes thumbnails; with
      --format, then imports the dataset's labels (a folder: files found by their release names; a file: the
      format's main label list). A file with any bad row is refused whole (exit 1), listing file:line:column.
      FORMAT: celeba, celebamask-hq, fairface, utkface, rafdb, expw, csv (--map file=image,Smiling=smile: label
      key = CSV column; default: columns named like label keys), json (the app's own faces.json).
  faceinsight export --format FORMAT|coco|masks|instructions --out DIR [--dataset ID|FOLDER] [--seed N]
                     [--reviewed-only] [--include-predictions] [--overwrite] [--db FILE] [--json] [--resume]
      Writes the corrected labels (human > imported; predictions only with --include-predictions) in the
      format's own files plus provenance.json; never replaces an existing file without --overwrite.
${ANALYZE_HELP}
${CHECK_HELP}
${DOCTOR_HELP}
${LEARN_HELP}
${AUDIT_HELP}
${JOBS_HELP}

Options for every command:
  --data-dir DIR   app data (thumbnails, models, settings); default $FACEINSIGHT_DATA_DIR or the OS app data dir
  --db FILE        database file; default <data-dir>/faceinsight.db
  -h, --help       this text
  -v, --version    the version
  --resume         (import, export) also run the unfinished jobs earlier commands left, oldest first; without
                   it a command runs only its own job and names the others in one line each

Exit codes: 0 ok; 1 the data has problems (a refused annotation file, a failed job, a broken error rule);
  2 usage or unreadable input (bad flags, a rules file that does not parse, a path that is missing, not a
  regular file or folder (a FIFO, /dev/null), an empty folder, or a file that cannot be read).
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

/** `own`: the command's job process runs only the jobs its calls start (see --resume); `serve` runs them all. */
async function open(
  values: { 'data-dir'?: string; db?: string },
  jobScope: 'own' | 'all' = 'own',
): Promise<AppHost> {
  const dataDir = resolveDataDir(values['data-dir']);
  return startApp({ dataDir, dbPath: values.db ? resolve(values.db) : undefined, mode: 'browser', jobScope });
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    'allow-host': { type: 'string', multiple: true },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: not a port: ${values.port}`);
  const host = await open(values, 'all');
  // The app's own queue resumes; jobs CLI commands left stay theirs (`faceinsight jobs retry ID`).
  noteLeftoverJobs(host, false);
  const http = await startHttpServer(host, {
    host: values.host ?? '127.0.0.1',
    port,
    staticDir: join(projectRoot(), 'out', 'renderer'),
    allowHosts: values['allow-host'] ?? [],
  });
  if (values.host && !['127.0.0.1', 'localhost', '::1'].includes(values.host)) {
    console.error(
      `warning: listening on ${values.host}; anyone who can reach it and has the token can use the app`,
    );
  }
  // Listen before printing the URL: a script that stops us as soon as it reads the URL must not kill us mid-way.
  const stopped = new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.error(`FaceInsight Studio ${host.info.version} (browser mode), data: ${host.info.dataDir}`);
  console.log(http.url);
  await stopped;
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
  const { values, positionals } = parse(args, {
    json: { type: 'boolean' },
    format: { type: 'string' },
    annotations: { type: 'string' },
    'max-errors': { type: 'string' },
    map: { type: 'string' },
    resume: { type: 'boolean' },
  });
  const folder = positionals[0];
  if (!folder || positionals.length > 1) throw new UsageError('import: expected exactly one <folder>');
  const annotations = checkAnnotationArgs(values, folder);
  const host = await open(values);
  try {
    if (values.resume) resumeLeftoverJobs(host);
    const env = await host.call('datasets.create', { root: resolve(folder) });
    if (!env.ok) {
      console.error(`faceinsight import: ${formatError(env.error)}`);
      return env.error.code === 'io_error' || env.error.code === 'invalid_request' ? 2 : 1;
    }
    const { dataset, job } = env.value as { dataset: { id: number; root: string }; job: Job };
    if (!values.resume) noteLeftoverJobs(host);
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
    if (final.state !== 'done') return 1;
    if (!annotations) return 0;
    return await runReportedJob(
      host,
      'datasets.importAnnotations',
      { datasetId: dataset.id, ...annotations },
      values.json,
    );
  } finally {
    await host.close();
  }
}

/** `--format` / `--annotations` of `import`: null for a plain folder import; usage errors exit 2. */
function checkAnnotationArgs(
  values: {
    format?: string;
    annotations?: string;
    'max-errors'?: string;
    map?: string;
  },
  root?: string,
) {
  const format = values.format;
  if (format === undefined || format === 'folder') {
    if (values.annotations) throw new UsageError('import: --annotations needs --format');
    return null;
  }
  if (!(ANNOTATION_FORMATS as readonly string[]).includes(format))
    throw new UsageError(
      `import: --format must be one of folder, ${ANNOTATION_FORMATS.join(', ')}; got "${format}"`,
    );
  if (!values.annotations && format !== 'utkface') {
    // The release's own file names, in the images folder or beside it (img_align_celeba/../list_attr_celeba.txt).
    const found = root ? findReleases(root).find((r) => r.format === format) : undefined;
    const names = releaseNames(format as AnnotationFormat);
    if (!found)
      throw new UsageError(
        `import: --format ${format} needs --annotations` +
          (names.length > 0 ? ` (no ${names.join(' or ')} in ${root} or its parent folder)` : ''),
      );
    values = { ...values, annotations: found.source };
  }
  if (values.annotations) checkReadable('import: --annotations', values.annotations);
  const maxErrors = values['max-errors'] === undefined ? undefined : Number(values['max-errors']);
  if (maxErrors !== undefined && (!Number.isInteger(maxErrors) || maxErrors < 1))
    throw new UsageError(`import: --max-errors: not a positive integer: ${values['max-errors']}`);
  if (values.map !== undefined && format !== 'csv') throw new UsageError('import: --map is for --format csv');
  const map = values.map === undefined ? undefined : parseMap(values.map);
  return {
    format: format as AnnotationFormat,
    ...(values.annotations ? { annotations: resolve(values.annotations) } : {}),
    ...(maxErrors ? { maxErrors } : {}),
    ...(map ? { map } : {}),
  };
}

/** An input path must be a regular file or a folder with something in it (exit 2 otherwise, before any job). */
function checkReadable(what: string, path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${what}: ${code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}: ${path}`,
    );
  }
  if (st.isDirectory()) {
    if (readdirSync(path).length === 0) throw new UsageError(`${what}: empty folder: ${path}`);
  } else if (!st.isFile()) {
    throw new UsageError(`${what}: not a regular file or folder (a FIFO, socket or device): ${path}`);
  }
}

/** `--map`: a JSON file `{"key": "column"}` or `key=column,key=column`. */
function parseMap(raw: string): Record<string, string> {
  if (raw.endsWith('.json') && existsSync(raw)) {
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(raw, 'utf8'));
    } catch (err) {
      throw new UsageError(`import: --map ${raw}: not JSON: ${(err as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Object.values(v).some((c) => typeof c !== 'string'))
      throw new UsageError(`import: --map ${raw}: expected {"label key": "column", …}`);
    return v as Record<string, string>;
  }
  const map: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1)
      throw new UsageError(`import: --map: expected key=column pairs, got "${pair}"`);
    map[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return map;
}

/** Starts an annotations / export job, waits, prints its report (warnings, errors, files); 0 done, 1 refused. */
async function runReportedJob(
  host: AppHost,
  method: string,
  req: unknown,
  json: boolean | undefined,
  noteLeftovers = false,
): Promise<number> {
  const env = await host.call(method, req);
  if (!env.ok) {
    console.error(`faceinsight: ${formatError(env.error)}`);
    return env.error.code === 'invalid_request' || env.error.code === 'not_found' ? 2 : 1;
  }
  if (noteLeftovers) noteLeftoverJobs(host);
  const final = await waitForJob(host, (env.value as Job).id, () => {});
  const rep = await host.call('jobs.report', { id: final.id });
  const report = rep.ok ? (rep.value as { report: JobReport | null }).report : null;
  if (json)
    console.log(
      JSON.stringify({
        jobId: final.id,
        kind: final.kind,
        state: final.state,
        summary: final.summary,
        report,
      }),
    );
  else {
    for (const w of report?.warnings ?? []) console.error(`warning: ${formatError(w)}`);
    const more = (report?.warningCount ?? 0) - (report?.warnings.length ?? 0);
    if (more > 0) console.error(`warning: … and ${more} more`);
    if (final.state === 'done') {
      const counts = Object.entries(final.summary)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(`${final.kind} done; ${counts}`);
      for (const f of report?.files ?? []) console.log(`  ${f}`);
    } else {
      const errors = report?.errors.length
        ? report.errors.map((e) => formatError(e))
        : [final.error ?? final.state];
      for (const e of errors) console.error(`error: ${e}`);
    }
  }
  if (final.state === 'done') return 0;
  // A job that could not read its input (a label file that is a FIFO, unreadable) is exit 2, like a bad path.
  const codes = report?.errors.map((e) => e.code) ?? [];
  return codes.length > 0 && codes.every((c) => c === 'io_error') ? 2 : 1;
}

async function exportCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    json: { type: 'boolean' },
    format: { type: 'string' },
    out: { type: 'string' },
    dataset: { type: 'string' },
    'reviewed-only': { type: 'boolean' },
    'include-predictions': { type: 'boolean' },
    overwrite: { type: 'boolean' },
    seed: { type: 'string' },
    resume: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`export: unexpected argument "${positionals[0]}"`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1))
    throw new UsageError(`export: --seed: not an integer from 0 to 4294967295: ${values.seed}`);
  const format = values.format;
  if (!format || !(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`export: --format must be one of ${EXPORT_FORMATS.join(', ')}`);
  if (!values.out) throw new UsageError('export: --out <folder> is required');
  const host = await open(values);
  try {
    if (values.resume) resumeLeftoverJobs(host);
    const list = await host.call('datasets.list', {});
    const datasets = list.ok ? (list.value as { items: { id: number; root: string }[] }).items : [];
    const pick = values.dataset;
    const ds =
      pick === undefined
        ? datasets.length === 1
          ? datasets[0]
          : undefined
        : datasets.find((d) => String(d.id) === pick || d.root === resolve(pick));
    if (!ds) {
      throw new UsageError(
        pick === undefined
          ? `export: the database has ${datasets.length} datasets; name one with --dataset <id or folder>`
          : `export: no dataset ${pick}`,
      );
    }
    const req = {
      datasetId: ds.id,
      format,
      out: resolve(values.out),
      reviewedOnly: values['reviewed-only'] ?? false,
      includePredictions: values['include-predictions'] ?? false,
      overwrite: values.overwrite ?? false,
      ...(seed !== undefined ? { seed } : {}),
    };
    return await runReportedJob(host, 'exports.start', req, values.json, !values.resume);
  } finally {
    await host.close();
  }
}

const commands: Record<string, (args: string[]) => Promise<number>> = {
  serve,
  import: importCmd,
  export: exportCmd,
  check: checkCmd,
  analyze: analyzeCmd,
  doctor: doctorCmd,
  learn: learnCmd,
  audit: auditCmd,
  jobs: jobsCmd,
};

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
    logger().error({ err, command: cmd, code: e.code }, `faceinsight ${cmd} failed`);
    return e.code === 'io_error' || e.code === 'invalid_request' || e.code === 'parse_error' ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
