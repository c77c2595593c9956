// The `analyze` job: one image per item through the face pipeline; faces, predictions, masks, embeddings, rules.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';
import { coversImage, iou, matchImported, MATCH_IOU } from '../../../shared/face-match';
import {
  analysisRuntime,
  createAnalyzer,
  DEFAULT_BATCH_SIZE,
  type Analyzer,
  type FaceResult,
} from '../../analysis/index';
import { guardPath } from '../../assets';
import { engineFor } from '../../constraints/index';
import { loadRegistry, type ModelRegistry } from '../../models/registry';
import { headModels } from '../../analysis/heads';
import { ModelRuntime } from '../../models/runtime';
import { ModelThreads } from '../../analysis/model-thread';
import { applyUserModels, userModels, type UserModel } from '../../analysis/user-models';
import type { ExecutionProviderRequest } from '../../models/ep';
import { jobParams } from '../params';
import { resourcesDir } from '../../paths';
import { logger } from '../../log';
import type { JobContext, JobKindHandler } from '../types';

/** Bumped when the pipeline's own code changes what it stores (crops, formulas, mask rules). */
export const PIPELINE_VERSION = '3';
/** The models every analysis runs (mobilefacenet only for datasets that train on it: see analysisKey). */
const PIPELINE_MODELS = [
  'blazeface',
  'facemesh',
  'emotion',
  'gear',
  'faceres',
  'selfie',
  'faceapi-agegender',
  'faceapi-expression',
];

/** Runs one model call for the user's parsing model (no cross-image batching). */
type ParserRuntime = Pick<ModelRuntime, 'run'>;

interface Pipeline {
  /** The analyzer for a batch size (and with mobilefacenet or not): one each, all on the same sessions. */
  analyzer(batchSize: number, mobilefacenet: boolean): Analyzer;
  runtime: ParserRuntime;
  /** The model thread holding the sessions; null where it could not start (the sessions then run here). */
  thread: ModelThreads | null;
  /** A user's models (BYO manifests) by task: a face-parsing model's maps, an attribute classifier's scores. */
  userModels: UserModel[];
  /** sha256 of the pipeline version and every model id@version it runs. */
  key: string;
}

/**
 * Instrumentation for `npm run bench -- analyze`: hands over each new pipeline's model thread (whose runs it records
 * and replays) and receives each image's stage times in milliseconds. Null in the app.
 */
export interface AnalyzeProbe {
  /** The pipeline's model thread (record / replay its runs), or null where the sessions run in-thread. */
  onPipeline?(thread: ModelThreads | null): void;
  onImage?(stagesMs: Record<string, number>, faces: number): void;
}
let probe: AnalyzeProbe | null = null;
export function setAnalyzeProbe(p: AnalyzeProbe | null): void {
  probe = p;
  void closeAnalyzePipelines();
}

/** Ends every cached pipeline's model thread (sessions released); the next analysis starts afresh. */
export async function closeAnalyzePipelines(): Promise<void> {
  const all = [...pipelines.values()];
  pipelines.clear();
  for (const p of await Promise.allSettled(all)) {
    if (p.status === 'fulfilled') await p.value.thread?.close();
  }
}

const pipelines = new Map<string, Promise<Pipeline>>();

/** Starts the model threads and their sessions for `ep` in the background; the first analysis job then finds them. */
export function warmAnalyzePipeline(ctx: JobContext, ep: ExecutionProviderRequest): void {
  pipelineFor(ctx, ep).catch((err: unknown) => logger().warn({ err }, 'analyze: warm-up failed'));
}

/** The models, their versions and the pipeline key: the registry alone, no session and no thread. */
async function pipelineModels(ctx: JobContext) {
  const registry = await loadRegistry({
    bundledDir: join(resourcesDir(), 'models'),
    userDir: ctx.paths.userModelsDir,
  });
  const extra = userModels(registry.list());
  const versions = PIPELINE_MODELS.map((m) => `${m}@${registry.get(m).manifest.version}`);
  for (const { entry } of extra) versions.push(`${entry.id}@${entry.manifest.version}`);
  const key = createHash('sha256')
    .update([PIPELINE_VERSION, ...versions].join('\n'))
    .digest('hex');
  return { registry, extra, key };
}

/** The models every default analysis runs first (mobilefacenet and user models load on their first run). */
function defaultModels(registry: ModelRegistry): string[] {
  const heads = headModels((id) => registry.has(id));
  return [
    ...new Set(['blazeface', 'facemesh', 'selfie', 'gear', 'faceres', heads.ageGender, heads.expression]),
  ];
}

/** One runtime (one ORT session per model) per job process and provider. */
function pipelineFor(ctx: JobContext, ep: ExecutionProviderRequest): Promise<Pipeline> {
  const id = `${ctx.paths.dataDir}\u0000${ep}`;
  let p = pipelines.get(id);
  if (!p) {
    p = (async () => {
      const { registry, extra, key } = await pipelineModels(ctx);
      // The sessions go on a model thread, so inference overlaps this thread's decoding and preprocessing; should
      // the thread not start (or FACEINSIGHT_MODEL_THREAD=0 ask so), they run here (slower, same results).
      let thread: ModelThreads | null = null;
      if (process.env.FACEINSIGHT_MODEL_THREAD === '0') {
        logger().warn('analyze: FACEINSIGHT_MODEL_THREAD=0, running models in-process');
      } else {
        try {
          const started = await ModelThreads.start({
            bundledDir: join(resourcesDir(), 'models'),
            userDir: ctx.paths.userModelsDir,
            dataDir: ctx.paths.dataDir,
            provider: ep,
            preload: defaultModels(registry),
          });
          // A stopped thread (crash, close) takes its pipeline with it; the next job starts a new one.
          started.onStop(() => {
            if (pipelines.get(id) === p) pipelines.delete(id);
          });
          thread = started;
        } catch (err) {
          logger().warn({ err }, 'analyze: model thread unavailable, running models in-process');
        }
      }
      const local = thread ? null : new ModelRuntime({ registry, dataDir: ctx.paths.dataDir, provider: ep });
      const runtime: ParserRuntime = thread
        ? { run: (modelId, feeds) => thread.run(modelId, feeds) }
        : local!;
      const analyzers = new Map<string, Analyzer>();
      const analyzer = (batchSize: number, mobilefacenet: boolean) => {
        const k = `${batchSize}:${mobilefacenet}`;
        let a = analyzers.get(k);
        if (!a) {
          const base = thread ? thread.batching(registry, batchSize) : analysisRuntime(local!, registry);
          analyzers.set(k, (a = createAnalyzer(base, { batchSize, models: { mobilefacenet } })));
        }
        return a;
      };
      probe?.onPipeline?.(thread);
      return { analyzer, runtime, thread, userModels: extra, key };
    })();
    p.catch(() => pipelines.delete(id));
    pipelines.set(id, p);
  }
  return p;
}

/**
 * Loads the pipeline's models (on the model thread) before the first item: a `faceinsight worker` says it is
 * ready once it can analyse at full speed, so its first items do not spend their lease loading sessions.
 */
export async function warmAnalyze(ctx: JobContext, ep: ExecutionProviderRequest): Promise<void> {
  await pipelineFor(ctx, ep);
}

/** Longest side (pixels) of an image 'auto' counts as a face crop (CelebA aligned 178x218, UTKFace 200, FER 48). */
export const FACE_CROP_MAX_SIDE = 256;

/** How a dataset's images are analysed: as face crops (issue #28.1), and with mobilefacenet embeddings or not. */
export interface AnalysisMode {
  faceCrops: boolean;
  /** The dataset's learning settings train on mobilefacenet, so its embedding is computed too. */
  mobilefacenet: boolean;
}

/**
 * A dataset's analysis key: the pipeline's, marked by the mode. Choosing mobilefacenet for learning changes the
 * key, so the next `analyze` computes the embeddings for the images analysed without them.
 */
export function analysisKey(pipelineKey: string, mode: AnalysisMode): string {
  return `${pipelineKey}${mode.faceCrops ? '+face-crops' : ''}${mode.mobilefacenet ? '+mobilefacenet' : ''}`;
}

/** The mode per job, resolved once (its plan and every item read the same answer). */
const modes = new Map<number, AnalysisMode>();
function modeOf(ctx: JobContext, jobId: number, datasetId: number): AnalysisMode {
  let m = modes.get(jobId);
  if (m === undefined) {
    m = {
      faceCrops: ctx.store.datasets.usesFaceCrops(datasetId, FACE_CROP_MAX_SIDE),
      mobilefacenet: ctx.store.learning.settings(datasetId).embeddingModel === 'mobilefacenet',
    };
    if (modes.size > 100) modes.clear();
    modes.set(jobId, m);
  }
  return m;
}

interface Prepared {
  face: FaceResult;
  areas: FaceResult['mask']['areas'];
}

/**
 * Images in flight by default: enough that both model threads always have a run queued while this thread decodes
 * and draws parsing maps. `faceinsight analyze` of 60 demo photos on the 2-core build machine: 26.4-27.4 s with 2,
 * 25.9 s with 3, 24.6 s with 4 (twice), 25.0 s with 6.
 */
export const ANALYZE_CONCURRENCY = 4;

export const analyzeKind: JobKindHandler = {
  concurrency: ANALYZE_CONCURRENCY,
  distributed: true,
  async plan(job, ctx) {
    if (job.datasetId === null) throw new AppError('invalid_request', 'analyze needs a dataset');
    const params = jobParams('analyze', job);
    // The key needs the registry only: an analysis with nothing to do starts no model thread.
    const { key } = await pipelineModels(ctx);
    modes.delete(job.id);
    const mode = modeOf(ctx, job.id, job.datasetId);
    const ids =
      params.imageIds ??
      ctx.store.images.staleForAnalysis(job.datasetId, analysisKey(key, mode), params.force);
    return { keys: ids.map(String) };
  },

  async process(job, item, ctx) {
    const imageId = Number(item.key);
    const { store } = ctx;
    const image = store.images.locate(imageId);
    if (!image || image.status !== 'ok') return { counter: 'skipped' };
    const params = jobParams('analyze', job);
    const pipeline = await pipelineFor(ctx, ctx.ep ?? params.ep ?? 'auto');
    // A worker on another machine reads the dataset where --root-map says the server's folder is mounted here.
    const root = ctx.mapRoot ? ctx.mapRoot(image.root) : image.root;
    let bytes: Buffer;
    try {
      bytes = ctx.readImage
        ? await ctx.readImage(imageId)
        : await readFile(await guardPath(root, image.relPath));
    } catch (err) {
      const why = AppError.from(err).message;
      if (ctx.readImage) return { counter: 'errors', error: why };
      if (!ctx.mapRoot) return { counter: 'errors', error: why };
      const here = join(root, image.relPath);
      const server = join(image.root, image.relPath);
      const how = root === image.root ? 'no --root-map rule matches it' : 'mapped by --root-map';
      return { counter: 'errors', error: `${why}: ${here} (the database's ${server}, ${how})` };
    }
    const existing = store.faces.byImage(imageId);
    const imported = existing.filter((f) => f.source === 'imported');
    let detected: FaceResult[];
    // Per imported face: its outputs, and whether the face takes the detection's box (one without a box of its own).
    const fromImport: ({ face: FaceResult; takeBox: boolean } | null)[] = imported.map(() => null);
    const mode = modeOf(ctx, job.id, image.datasetId);
    const analyzer = pipeline.analyzer(params.batchSize ?? DEFAULT_BATCH_SIZE, mode.mobilefacenet);
    const faceCrop = mode.faceCrops;
    let stages: Record<string, number> = {};
    try {
      const result = await analyzer.analyze(bytes, { signal: ctx.signal, faceCrop });
      stages = result.timings;
      const size = { width: result.width, height: result.height };
      // An imported face stands for the detection it matches (issue #26.1): never a second face beside it.
      const match = matchImported(
        imported,
        result.faces.map((d) => d.box),
        size,
      );
      const ownBox: number[] = [];
      imported.forEach((f, i) => {
        const d = match[i]!;
        if (coversImage(f, size) && d >= 0) fromImport[i] = { face: result.faces[d]!, takeBox: true };
        else if (f.w > 0 && f.h > 0) ownBox.push(i);
      });
      detected = result.faces.filter(
        (d, j) =>
          !match.includes(j) && !imported.some((f) => !coversImage(f, size) && iou(d.box, f) >= MATCH_IOU),
      );
      if (ownBox.length > 0) {
        // A face with a box of its own is analysed from that box (the detection inside it is reused).
        const boxes = ownBox.map((i) => ({
          x: imported[i]!.x,
          y: imported[i]!.y,
          w: imported[i]!.w,
          h: imported[i]!.h,
        }));
        const faces = (await analyzer.analyzeFaces(bytes, boxes, { signal: ctx.signal })).faces;
        ownBox.forEach((i, k) => {
          const face = faces[k];
          if (face) fromImport[i] = { face, takeBox: false };
        });
      }
    } catch (err) {
      const e = AppError.from(err);
      if (e.code === 'cancelled') throw e;
      return { counter: 'errors', error: `analysis failed: ${e.message}` };
    }
    const prep = async (face: FaceResult): Promise<Prepared> => {
      const done = await applyUserModels(pipeline.runtime, pipeline.userModels, bytes, face);
      return { face: done, areas: done.mask.areas };
    };
    const storeStart = performance.now();
    const newDetected = await Promise.all(detected.map(prep));
    const newImported = await Promise.all(
      fromImport.map(async (m) => (m ? { ...(await prep(m.face)), takeBox: m.takeBox } : null)),
    );
    const engine = engineFor(store);
    const prepMs = performance.now() - storeStart;

    return {
      counter: 'analyzed',
      commit: () => {
        const commitStart = performance.now();
        const write = (faceId: number, p: Prepared) => {
          store.faces.replaceModelOutputs(faceId, {
            predictions: p.face.predictions,
            mask: { source: p.face.mask.source, png: p.face.mask.png, box: p.face.mask.box, areas: p.areas },
            embeddings: p.face.embeddings,
          });
          engine.refreshFace(faceId);
        };
        // Imported faces' boxes after this analysis: their own, or the detection's for one without a box.
        const finalBox = imported.map((f, i) => {
          const p = newImported[i];
          return p?.takeBox ? p.face.box : { x: f.x, y: f.y, w: f.w, h: f.h };
        });
        // Keep face ids (and so labels) stable across re-analysis: match old detections by IoU.
        const old = existing.filter((f) => f.source === 'detected');
        const used = new Set<number>();
        for (const p of newDetected) {
          let best: (typeof old)[number] | undefined;
          let bestIou = 0.5;
          for (const f of old) {
            const v = iou(p.face.box, f);
            if (!used.has(f.id) && v > bestIou) [best, bestIou] = [f, v];
          }
          let faceId: number;
          if (best) {
            used.add(best.id);
            faceId = best.id;
            store.faces.updateGeometry(faceId, p.face.box, p.face.detScore, p.face.landmarks);
          } else {
            faceId = store.faces.insert({
              imageId,
              idx: store.faces.nextIdx(imageId),
              ...p.face.box,
              detScore: p.face.detScore,
              source: 'detected',
              landmarks: p.face.landmarks,
            });
          }
          write(faceId, p);
        }
        for (const f of old) {
          if (used.has(f.id)) continue;
          // An older detection of an imported face (a database from before #26.1) joins it with its human work;
          // any other detection that disappeared goes, unless someone worked on it.
          const dup = imported.findIndex((_, i) => newImported[i] && iou(finalBox[i]!, f) >= MATCH_IOU);
          if (dup >= 0) store.faces.merge(imported[dup]!.id, f.id, { takeBox: false });
          else if (!store.faces.isTouched(f.id)) store.faces.delete(f.id);
        }
        imported.forEach((f, i) => {
          const p = newImported[i];
          if (!p) return;
          store.faces.updateGeometry(f.id, finalBox[i]!, p.face.detScore, p.face.landmarks);
          write(f.id, p);
        });
        store.images.markAnalyzed(imageId, analysisKey(pipeline.key, mode));
        const faces = newDetected.length + newImported.filter((p) => p !== null).length;
        store.jobs.addToSummary(job.id, 'faces', faces);
        if (probe?.onImage) {
          probe.onImage({ ...stages, store: prepMs + performance.now() - commitStart }, faces);
        }
      },
    };
  },
};
