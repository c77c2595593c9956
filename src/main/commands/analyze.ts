// `faceinsight analyze <folder>`: import the folder's images (new ones only), then analyse what is not analysed yet.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '../../shared/errors';
import { EXECUTION_PROVIDERS, type Dataset, type Job } from '../../shared/api';
import { resolveDataDir, startApp, type AppHost } from '../app';

export const ANALYZE_HELP = `  faceinsight analyze <folder> [--db FILE] [--ep auto|cpu|webgpu|cuda|dml|coreml] [--force] [--json]
      Imports new images of <folder> (creating its dataset if needed), then detects and analyses every face of
      every image not analysed with the current models (--force: all). --json: the last line is a summary
      object {images, faces, errors, seconds}. Per-image errors are reported, not fatal.`;

async function callOk<T>(host: AppHost, method: string, req: unknown): Promise<T> {
  const env = await host.call(method, req);
  if (!env.ok) throw AppError.fromData(env.error);
  return env.value as T;
}

async function waitJob(host: AppHost, id: number, label: string, quiet: boolean): Promise<Job> {
  let last = '';
  for (;;) {
    const job = await callOk<Job>(host, 'jobs.get', { id });
    const line = `${label}: ${job.done}/${job.total}${job.failed ? ` (${job.failed} failed)` : ''}`;
    if (!quiet && process.stderr.isTTY && line !== last) process.stderr.write(`\r${line}`);
    last = line;
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') {
      if (!quiet && process.stderr.isTTY) process.stderr.write('\n');
      return job;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function analyzeCmd(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      'data-dir': { type: 'string' },
      ep: { type: 'string', default: 'auto' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const folder = positionals[0];
  if (!folder || positionals.length > 1) {
    throw new AppError('invalid_request', 'analyze: expected exactly one <folder>');
  }
  const ep = values.ep as (typeof EXECUTION_PROVIDERS)[number];
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(ep)) {
    throw new AppError(
      'invalid_request',
      `--ep: expected one of ${EXECUTION_PROVIDERS.join(', ')}, got "${values.ep}"`,
    );
  }
  const started = Date.now();
  const host = await startApp({
    dataDir: resolveDataDir(values['data-dir']),
    dbPath: values.db ? resolve(values.db) : undefined,
    mode: 'browser',
  });
  try {
    const { dataset, job } = await callOk<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
      root: resolve(folder),
    });
    const imported = await waitJob(host, job.id, 'importing', values.json ?? false);
    if (imported.state !== 'done') {
      console.error(`import ${imported.state}: ${imported.error ?? ''}`);
      return 1;
    }
    const analysis = await callOk<Job>(host, 'datasets.analyze', {
      datasetId: dataset.id,
      force: values.force ?? false,
      ep,
    });
    const done = await waitJob(host, analysis.id, 'analysing', values.json ?? false);
    const failures = await callOk<{ items: { label: string; error: string | null }[] }>(
      host,
      'jobs.failures',
      {
        id: done.id,
      },
    );
    const summary = {
      datasetId: dataset.id,
      jobId: done.id,
      state: done.state,
      images: done.total,
      analyzed: done.summary.analyzed ?? 0,
      faces: done.summary.faces ?? 0,
      errors: done.failed,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      error: done.error,
    };
    if (values.json) console.log(JSON.stringify(summary));
    else {
      for (const f of failures.items) console.log(`error: ${f.label}: ${f.error}`);
      console.log(
        `dataset ${dataset.id}: analysed ${summary.analyzed} of ${summary.images} images, ${summary.faces} faces, ` +
          `${summary.errors} errors, ${summary.seconds} s (${done.state})`,
      );
    }
    return done.state === 'done' ? 0 : 1;
  } finally {
    await host.close();
  }
}
