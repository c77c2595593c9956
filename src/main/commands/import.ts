// `faceinsight import`: a folder as a dataset, then (with --format) the dataset's own annotation files.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ANNOTATION_FORMATS, type AnnotationFormat, type Job } from '../../shared/api';
import { formatError } from '../../shared/errors';
import { findReleases, releaseNames } from '../datasets/formats/release';
import { openHost, parse, UsageError, waitForJob } from './common';
import { noteLeftoverJobs, resumeLeftoverJobs } from './jobs';
import { runReportedJob } from './reported-job';

export const IMPORT_HELP = `  faceinsight import <folder> [--db FILE] [--data-dir DIR] [--json] [--resume]
                     [--format FORMAT [--annotations FILE|FOLDER] [--max-errors N] [--map KEY=COLUMN,…|FILE.json]]
      Creates (or refreshes) the dataset rooted at <folder>: records every image, makes thumbnails; with
      --format, then imports the dataset's labels (a folder: files found by their release names; a file: the
      format's main label list). A file with any bad row is refused whole (exit 1), listing file:line:column.
      FORMAT: celeba, celebamask-hq, fairface, utkface, rafdb, expw, csv (--map file=image,Smiling=smile: label
      key = CSV column; default: columns named like label keys), json (the app's own faces.json).`;

export async function importCmd(args: string[]): Promise<number> {
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
  const host = await openHost(values);
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
    const final = await waitForJob(host, job.id, {
      onTick: (j) => {
        const line = `importing ${dataset.root}: ${j.done}/${j.total}${j.failed ? ` (${j.failed} errors)` : ''}`;
        if (process.stderr.isTTY && line !== last) process.stderr.write(`\r${line}`);
        last = line;
      },
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
