// Export: effective values (human > import > prediction when asked) into a format's files, written atomically.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { once } from 'node:events';
import { AppError } from '../../../shared/errors';
import { isCelebaAttribute } from '../../../shared/taxonomy';
import type { Store } from '../../store/index';
import { IMPORT_MODEL_ID } from '../../store/index';
import { MASK_PRECEDENCE } from '../../store/repositories/faces';
import { instructionFiles } from './instructions';
import { cocoFiles } from './json';
import { maskFiles } from './masks';
import { formatModule } from './registry';
import { Problems, type Problem } from './text';
import {
  ANNOTATION_FORMATS,
  type AnnotationFormat,
  type ExportFace,
  type ExportFormat,
  type FaceMask,
  type OutputFile,
  type WriteContext,
} from './types';

export const PROVENANCE_FILE = 'provenance.json';

export interface ExportOptions {
  datasetId: number;
  format: ExportFormat;
  /** Output folder (created when missing). */
  out: string;
  reviewedOnly?: boolean;
  /** Fill keys no label covers from model / derived / learned predictions (off by default). */
  includePredictions?: boolean;
  /** With includePredictions: `models` (default) or `mllm:<model>`, a vision LLM's parsed answers. */
  predictionSource?: string;
  /** Replace files that already exist in `out` (default: refuse). */
  overwrite?: boolean;
  appVersion?: string;
  /** `instructions`: seed of the phrasing choices. */
  seed?: number;
}

export interface ExportReport {
  format: ExportFormat;
  out: string;
  /** Files written, relative to `out`, the provenance sidecar last. */
  files: string[];
  faces: number;
  warningCount: number;
  warnings: Problem[];
  /** Format-specific counts (instructions: records, blocked faces, crops). */
  counts: Record<string, number>;
}

/** A prediction's value as label text (the value shapes of docs/architecture.md, "Query your data"), or null when it has no single value. */
function predictionLabel(task: string, value: unknown): string | null {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object') return null;
  if (isCelebaAttribute(task)) return v.value === 1 || v.value === -1 ? String(v.value) : null;
  if (task === 'age') return typeof v.years === 'number' ? String(Math.round(v.years)) : null;
  if (task === 'gender' || task === 'race' || task === 'expression' || task === 'age_bucket')
    return typeof v.label === 'string' ? v.label : null;
  return null;
}

/** Loads every exported face with its effective values, in face-id order (an import's row order). */
export function loadExportFaces(
  store: Store,
  q: {
    datasetId: number;
    reviewedOnly: boolean;
    predictions: boolean;
    /** Fill `labels` (every stored label); other formats read `values` only. */
    keepLabels?: boolean;
    /** `mllm:<model>`: predicted values are that vision LLM's answers instead of the models'. */
    predictionSource?: string;
  },
): ExportFace[] {
  const faces: ExportFace[] = [];
  const mllm = q.predictionSource?.startsWith('mllm:')
    ? store.mllm.parsedValues(q.datasetId, q.predictionSource.slice('mllm:'.length))
    : null;
  for (const r of store.annotations.exportRows(q)) {
    const rows = JSON.parse(r.labels) as [string, 'human' | 'import', string][];
    const values: Record<string, string> = {};
    const sources: ExportFace['sources'] = {};
    for (let i = 0; i < rows.length; i++) {
      const [key, source, value] = rows[i] as [string, 'human' | 'import', string];
      if (source === 'import' && sources[key] === 'human') continue;
      values[key] = value;
      sources[key] = source;
    }
    // Label objects are only built for the formats that write them (40 per CelebA face add up).
    const labels = q.keepLabels ? rows.map(([key, source, value]) => ({ key, source, value })) : [];
    const preds = JSON.parse(r.predictions) as ExportFace['predictions'];
    let annotation: ExportFace['annotation'] = null;
    let identity: number | null = null;
    let landmarks: ExportFace['landmarks'] = null;
    const modelPreds: ExportFace['predictions'] = [];
    for (const p of preds) {
      if (p.source === 'import' && p.modelId === IMPORT_MODEL_ID) {
        if (p.task === 'annotation') annotation = p.value as ExportFace['annotation'];
        else if (p.task === 'identity') identity = (p.value as { id: number }).id;
        else if (p.task === 'landmarks') landmarks = p.value as ExportFace['landmarks'];
      } else modelPreds.push(p);
    }
    if (q.predictions && mllm) {
      for (const [key, value] of Object.entries(mllm.get(r.faceId) ?? {})) {
        if (values[key] !== undefined) continue;
        values[key] = value;
        sources[key] = 'prediction';
      }
    } else if (q.predictions) {
      for (const p of modelPreds) {
        if (values[p.task] !== undefined) continue;
        const label = predictionLabel(p.task, p.value);
        if (label !== null) {
          values[p.task] = label;
          sources[p.task] = 'prediction';
        }
      }
    }
    faces.push({
      faceId: r.faceId,
      imageId: r.imageId,
      relPath: r.relPath,
      split: r.split,
      width: r.width,
      height: r.height,
      idx: r.idx,
      faceSource: r.faceSource,
      box: { x: r.x, y: r.y, w: r.w, h: r.h },
      values,
      sources,
      labels,
      review: r.review,
      annotation,
      identity,
      landmarks,
      predictions: modelPreds,
    });
  }
  return faces;
}

/** `name` resolved inside `out`, or an error: export names come partly from image paths and must not escape. */
export function safeTarget(out: string, name: string): string {
  const target = resolve(out, name);
  const rel = relative(out, target);
  if (
    name === '' ||
    isAbsolute(name) ||
    rel === '' ||
    rel.startsWith('..') ||
    isAbsolute(rel) ||
    name.includes('\0')
  ) {
    throw new AppError('invalid_request', `output name "${name}" leaves the output folder`, {
      where: { file: name },
    });
  }
  return target;
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** An export's staging folder inside `out`: `.fi-export-<pid>-<random>`; a dead pid's is a killed run's. */
const STAGE_PREFIX = '.fi-export-';
/** The per-file temp names earlier versions wrote beside each target (left behind by a killed export). */
const OLD_TEMP = /^\.[0-9a-f]{12}\.fi-tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes staging folders of exports whose process is gone, and old per-file temp files in `dirs`. */
async function removeStale(out: string, dirs: Iterable<string>): Promise<void> {
  for (const name of await readdir(out)) {
    const pid = name.startsWith(STAGE_PREFIX) ? Number(name.slice(STAGE_PREFIX.length).split('-')[0]) : NaN;
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid))
      await rm(join(out, name), { recursive: true, force: true });
  }
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) if (OLD_TEMP.test(name)) await rm(join(dir, name), { force: true });
  }
}

/**
 * Writes every file into a staging folder inside `out` (same file system), then renames them into place, the
 * provenance sidecar last: a killed or failed export leaves no file of its own among the targets, so a later run
 * never finds files of two runs side by side. Stale staging of killed runs is removed first.
 */
async function writeAll(
  out: string,
  targets: readonly string[],
  files: readonly OutputFile[],
): Promise<void> {
  await mkdir(out, { recursive: true });
  await removeStale(out, new Set(targets.map((t) => dirname(t))));
  for (const t of targets) {
    const st = await lstat(t).catch(() => null);
    if (st?.isDirectory())
      throw new AppError('conflict', `${relative(out, t)} is a folder in ${out}; nothing was written`, {
        where: { file: t },
      });
  }
  const stage = await mkdtemp(join(out, `${STAGE_PREFIX}${process.pid}-`));
  try {
    const staged = targets.map((t) => join(stage, relative(out, t)));
    for (let i = 0; i < files.length; i++) await writeFileTo(staged[i] as string, files[i] as OutputFile);
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i] as string;
      try {
        await mkdir(dirname(target), { recursive: true });
        await rename(staged[i] as string, target);
      } catch (err) {
        throw new AppError('io_error', `cannot write ${target}: ${(err as Error).message}`, {
          where: { file: target },
        });
      }
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Writes one output file (lines streamed, bytes, or a copy); the staging folder makes it atomic. */
async function writeFileTo(path: string, file: OutputFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  try {
    if ('copyFrom' in file) await copyFile(file.copyFrom, path);
    else if ('bytes' in file) await writeFile(path, await file.bytes());
    else {
      const ws = createWriteStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
      let buf = '';
      for (const line of file.lines()) {
        buf += line + '\n';
        if (buf.length >= 1 << 20) {
          if (!ws.write(buf)) await once(ws, 'drain');
          buf = '';
        }
      }
      ws.end(buf);
      await once(ws, 'finish');
    }
  } catch (err) {
    throw new AppError('io_error', `cannot write ${basename(path)}: ${(err as Error).message}`, {
      where: { file: path },
    });
  }
}

function rulesHash(store: Store): string {
  const text = store.rules
    .list()
    .filter((r) => r.enabled)
    .map((r) => r.text)
    .join('\n');
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Writes a dataset's corrected annotations in `format` plus a provenance sidecar. Every target is checked
 * (inside `out`; not existing unless `overwrite`) before the first byte is written.
 */
export async function exportDataset(store: Store, opts: ExportOptions): Promise<ExportReport> {
  const ds = store.datasets.get(opts.datasetId);
  if (!ds)
    throw new AppError('not_found', `dataset ${opts.datasetId} not found`, { where: { field: 'datasetId' } });
  const out = resolve(opts.out);
  const problems = new Problems();
  const reviewedOnly = opts.reviewedOnly ?? false;
  const includePredictions = opts.includePredictions ?? false;
  const faces = loadExportFaces(store, {
    datasetId: ds.id,
    reviewedOnly,
    predictions: includePredictions,
    keepLabels: opts.format === 'json' || opts.format === 'instructions',
    ...(opts.predictionSource ? { predictionSource: opts.predictionSource } : {}),
  });
  const ctx: WriteContext = { faces, root: ds.root, problems, masks: (id) => bestMask(store, id) };
  let files: OutputFile[];
  let extraCounts: Record<string, number> = {};
  if (opts.format === 'coco') files = cocoFiles(ctx);
  else if (opts.format === 'masks') files = await maskFiles(ctx);
  else if (opts.format === 'instructions') {
    const r = await instructionFiles(ctx, { seed: opts.seed ?? 0, rules: enabledRules(store) });
    files = r.files;
    extraCounts = r.counts;
  } else if ((ANNOTATION_FORMATS as readonly string[]).includes(opts.format))
    files = await formatModule(opts.format as AnnotationFormat).write(ctx);
  else
    throw new AppError('invalid_request', `unknown export format "${opts.format}"`, {
      where: { field: 'format' },
    });

  const counts = { human: 0, import: 0, prediction: 0 };
  for (const f of faces) for (const k in f.sources) counts[f.sources[k] as keyof typeof counts]++;
  const names = files.map((f) => f.name);
  const provenance = {
    app: 'FaceInsight Studio',
    version: opts.appVersion ?? null,
    createdAt: new Date().toISOString(),
    dataset: { id: ds.id, name: ds.name, root: ds.root },
    format: opts.format,
    options: {
      reviewedOnly,
      includePredictions,
      predictionSource: includePredictions ? (opts.predictionSource ?? 'models') : null,
      precedence: includePredictions
        ? `human > import > ${opts.predictionSource?.startsWith('mllm:') ? opts.predictionSource : 'prediction'}`
        : 'human > import',
    },
    models: store.annotations.models(ds.id),
    rulesSha256: rulesHash(store),
    counts: {
      faces: faces.length,
      valuesBySource: counts,
      warnings: problems.warningCount,
      ...extraCounts,
    },
    files: names,
  };
  files.push({ name: PROVENANCE_FILE, lines: () => [JSON.stringify(provenance, null, 2)] });

  const targets = files.map((f) => safeTarget(out, f.name));
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t))
      throw new AppError('conflict', `two exported files would be named ${relative(out, t)}`, {
        where: { file: t },
      });
    seen.add(t);
  }
  if (!opts.overwrite) {
    const clash: string[] = [];
    for (const t of targets) if (await exists(t)) clash.push(relative(out, t).split(sep).join('/'));
    if (clash.length > 0) {
      throw new AppError(
        'conflict',
        `${clash.length} file(s) already exist in ${out}: ${clash.slice(0, 5).join(', ')}${clash.length > 5 ? ', …' : ''}`,
        {
          where: { file: join(out, clash[0] as string) },
          hint: 'Choose an empty folder, or pass overwrite: true (--overwrite) to replace them.',
        },
      );
    }
  }
  await writeAll(out, targets, files);
  return {
    format: opts.format,
    out,
    files: files.map((f) => f.name),
    faces: faces.length,
    warningCount: problems.warningCount,
    warnings: problems.warnings,
    counts: extraCounts,
  };
}

/** A face's best mask: human > import > model > derived, the newest version within a source. */
export function bestMask(store: Store, faceId: number): FaceMask | null {
  let best: FaceMask | null = null;
  const rank = (m: FaceMask) => MASK_PRECEDENCE.indexOf(m.source);
  for (const m of store.faces.masks(faceId)) {
    if (!best || rank(m) < rank(best) || (rank(m) === rank(best) && m.version > best.version))
      best = { source: m.source, version: m.version, png: m.png, box: m.box };
  }
  return best;
}

function enabledRules(store: Store): { key: string; severity: string; text: string }[] {
  return store.rules
    .list()
    .filter((r) => r.enabled)
    .map((r) => ({ key: r.key, severity: r.severity, text: r.text }));
}
