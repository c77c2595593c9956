// `faceinsight analyze <folder>`: import the folder's images (new ones only), then analyse what is not analysed yet.
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { AppError } from '../../shared/errors';
import { JOB_LIMITS, batchSizeField, concurrencyField } from '../../shared/schemas';
import {
  EXECUTION_PROVIDERS,
  FACE_CROPS_MODES,
  type Events,
  type FaceCropsMode,
  type Job,
} from '../../shared/api';
import type { AppHost } from '../app';
import { noteLeftoverJobs } from './jobs';
import { FINAL_STATES, invoke, openHost, parse, waitForJob } from './common';

export const ANALYZE_HELP = `  faceinsight analyze <folder> [--db FILE] [--ep auto|cpu|webgpu|cuda|dml|coreml] [--force] [--resume]
                     [--concurrency N] [--batch-size N] [--face-crops auto|on|off] [--json]
      Imports new images of <folder> (creating its dataset if needed), then detects and analyses every face of
      every image not analysed with the current models (--force: all). --resume only continues the folder's
      unfinished import and analyze jobs; other commands' unfinished jobs are named, never run. A progress bar
      on a terminal; --json prints one JSON event per line and ends with a summary object {images, faces,
      errors, seconds}. Per-image errors are listed, not fatal:
      the exit code is 1 only when a job itself failed. --concurrency: images in flight (default 4);
      --batch-size: faces per model run, shared by the images in flight (default 8). --face-crops sets the
      dataset's "images are face crops" mode (kept for later runs): on pads each image with grey before detection,
      keeps one face per image and takes the whole image where nothing is found; auto (the default) turns it on
      when most images are small; importers of crop datasets (UTKFace, CelebA aligned, ...) set it on.`;

/** Waits for a job on the event stream (with a slow poll as a safety net), drawing progress as asked. */
async function follow(host: AppHost, job: Job, mode: 'bar' | 'json' | 'quiet', label: string): Promise<Job> {
  const bar =
    mode === 'bar'
      ? new cliProgress.SingleBar(
          {
            format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted} | {failed} failed`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  bar?.start(Math.max(job.total, 1), job.done, { rate: '-', failed: 0 });
  const off = host.on((event, payload) => {
    if (event !== 'jobs.progressed') return;
    const p = payload as Events['jobs.progressed'];
    if (p.jobId !== job.id) return;
    if (mode === 'json') console.log(JSON.stringify({ event, ...p }));
    bar?.setTotal(Math.max(p.total, 1));
    bar?.update(p.done, { rate: p.rate ?? '-', failed: p.failed });
  });
  try {
    const now = await waitForJob(host, job.id, { intervalMs: 250 });
    bar?.update(now.done);
    return now;
  } finally {
    off();
    bar?.stop();
  }
}

export async function analyzeCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ep: { type: 'string', default: 'auto' },
    force: { type: 'boolean' },
    resume: { type: 'boolean' },
    concurrency: { type: 'string' },
    'batch-size': { type: 'string' },
    'face-crops': { type: 'string' },
    json: { type: 'boolean' },
  });
  const folder = positionals[0];
  if (!folder || positionals.length > 1)
    throw new AppError('invalid_request', 'analyze: expected exactly one <folder>');
  const ep = values.ep as (typeof EXECUTION_PROVIDERS)[number];
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(ep)) {
    throw new AppError(
      'invalid_request',
      `--ep: expected one of ${EXECUTION_PROVIDERS.join(', ')}, got "${values.ep}"`,
    );
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !concurrencyField.safeParse(concurrency).success) {
    const { min, max } = JOB_LIMITS.concurrency;
    throw new AppError(
      'invalid_request',
      `--concurrency: expected an integer from ${min} to ${max}, got "${values.concurrency}"`,
    );
  }
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !batchSizeField.safeParse(batchSize).success) {
    const { min, max } = JOB_LIMITS.batchSize;
    throw new AppError(
      'invalid_request',
      `--batch-size: expected an integer from ${min} to ${max}, got "${values['batch-size']}"`,
    );
  }
  const faceCrops = values['face-crops'] as FaceCropsMode | undefined;
  if (faceCrops !== undefined && !FACE_CROPS_MODES.includes(faceCrops)) {
    throw new AppError(
      'invalid_request',
      `--face-crops: expected one of ${FACE_CROPS_MODES.join(', ')}, got "${values['face-crops']}"`,
    );
  }
  const mode = values.json ? 'json' : process.stderr.isTTY ? 'bar' : 'quiet';
  const started = Date.now();
  // The models load while the folder is imported (a --resume or an up-to-date folder pays at most their load).
  const host = await openHost(values, 'own', { warmAnalysis: ep });
  try {
    const root = resolve(folder);
    let analyses: Job[] = [];
    let datasetId: number;
    if (values.resume) {
      const ds = (await invoke(host, 'datasets.list', {})).items.find((d) => d.root === root);
      if (!ds) throw new AppError('not_found', `no dataset for ${root} to resume`, { where: { file: root } });
      datasetId = ds.id;
      const open = (await invoke(host, 'jobs.list', { datasetId, limit: 500 })).items
        .filter((j) => (j.kind === 'import' || j.kind === 'analyze') && !FINAL_STATES.has(j.state))
        .reverse();
      // These, and only these, run here: the job process of a command runs only the jobs it is given.
      const running = open.filter((j) => j.state !== 'paused').map((j) => j.id);
      if (running.length > 0) host.jobs.wake(running);
      noteLeftoverJobs(host, false);
      for (const j of open) {
        const job = j.state === 'paused' ? await invoke(host, 'jobs.resume', { id: j.id }) : j;
        const end = await follow(host, job, mode, j.kind === 'import' ? 'importing' : 'analysing');
        if (j.kind === 'analyze') analyses.push(end);
      }
    } else {
      const { dataset, job } = await invoke(host, 'datasets.create', {
        root,
      });
      datasetId = dataset.id;
      const imported = await follow(host, job, mode, 'importing');
      if (imported.state !== 'done') {
        console.error(`import ${imported.state}: ${imported.error ?? ''}`);
        return 1;
      }
      if (faceCrops) await invoke(host, 'datasets.setFaceCrops', { id: datasetId, faceCrops });
      const analysis = await invoke(host, 'datasets.analyze', {
        datasetId,
        force: values.force ?? false,
        ep,
        ...(concurrency ? { concurrency } : {}),
        ...(batchSize ? { batchSize } : {}),
      });
      noteLeftoverJobs(host);
      analyses = [await follow(host, analysis, mode, 'analysing')];
    }
    const failures = [];
    for (const a of analyses) {
      failures.push(
        ...(
          await invoke(host, 'jobs.failures', {
            id: a.id,
          })
        ).items,
      );
    }
    const sum = (f: (j: Job) => number) => analyses.reduce((s, j) => s + f(j), 0);
    const summary = {
      datasetId,
      jobs: analyses.map((j) => ({ id: j.id, state: j.state, ...(j.error ? { error: j.error } : {}) })),
      images: sum((j) => j.done),
      faces: sum((j) => j.summary.faces ?? 0),
      errors: sum((j) => j.failed),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    if (values.json) console.log(JSON.stringify(summary));
    else {
      for (const f of failures) console.log(`error: ${f.label}: ${f.error}`);
      console.log(
        `analysed ${summary.images} images, ${summary.faces} faces, ${summary.errors} errors in ${summary.seconds} s`,
      );
    }
    // A job that failed as a whole (not image by image) says why, on stderr in every mode.
    for (const j of analyses)
      if (j.state === 'failed')
        console.error(`analyze job ${j.id} failed: ${j.error ?? 'no reason recorded'}`);
    return analyses.some((j) => j.state === 'failed') ? 1 : 0;
  } finally {
    await host.close();
  }
}
