// Per-image face analysis: decode, detect, mesh, Human-identical head crops, models, derived parsing map and attributes.
import { AppError } from '../../shared/errors';
import { deriveAttributes } from './attributes';
import { decodeImage, type DecodedImage } from './decode';
import {
  bestInside,
  cropBoxOf,
  DEFAULT_DETECT,
  detectFaces,
  detectInRegion,
  type CropBox,
  type DetectOptions,
} from './detect';
import { makeFaceCrop, meshToImage, type FaceCrop } from './face-crop';
import { argmax, EXPRESSIONS, headModels, RACES, runHeads, runMesh, type HeadModels } from './heads';
import {
  DERIVED_CLASSES,
  derivedLabelMap,
  encodeLabelMap,
  maskRegion,
  matteInput,
  type Box,
  type Matte,
} from './parsing';
import { batchingRuntime, isBatching, stagePriority } from './batcher';
import type { AnalysisRuntime } from './runtime';
import { labelMapAreas } from '../../shared/taxonomy';

export type { AnalysisRuntime } from './runtime';
export { analysisRuntime } from './runtime';
export { decodeImage } from './decode';
export { batchingRuntime, DEFAULT_BATCH_SIZE, type BatchingRuntime } from './batcher';
export { AGE_GENDER_MODELS, EXPRESSION_MODELS, headModels, type HeadModels } from './heads';

export interface AnalyzeOptions {
  /** Detector score threshold (Human's default 0.2). */
  minConfidence?: number;
  maxFaces?: number;
  signal?: AbortSignal;
  /**
   * The image is a face crop (a dataset in "images are face crops" mode: UTKFace, CelebA aligned, FER, ...): the
   * image is padded with grey (CROP_PAD of its side on each side) before detection, so crops running past it read
   * grey instead of black; at most one face is kept (the most present), and when no detection passes the presence
   * check the whole image is the face (`origin: 'whole-image'`).
   */
  faceCrop?: boolean;
}

/** Grey border, as a share of the image's side on each side, that face-crop mode adds before detection. */
export const CROP_PAD = 0.5;
/** The grey face-crop mode pads with. */
export const CROP_PAD_VALUE = 128;

export interface FacePrediction {
  modelId: string;
  modelVersion: string;
  task: string;
  source: 'model' | 'derived';
  /** predictions.value shapes (docs/architecture.md): gender {label, p}, age {years, p}, race / expression {label, probs}, attributes {value, p}. */
  value: unknown;
}

export interface FaceBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface FaceResult {
  /** Detected faces: the landmarks' bounding box; imported faces: their own box; whole-image faces: the image. */
  box: FaceBox;
  /**
   * What the models read: a detection's crop, an imported face's own box, or (face-crop mode, nothing passed the
   * presence check) the whole image. Whole-image predictions also carry `crop: 'whole-image'` in their value.
   */
  origin: FaceOrigin;
  /** Detector score; 0 for an imported face no detection matched. */
  detScore: number;
  /** facemesh presence score (Human rejects detected faces below 0.2). */
  meshScore: number;
  /** 468 x (x, y, z) in image pixels. */
  landmarks: Float32Array;
  /** The square crop every model read (Human's 1.4x enlarged detector box) and the rotation applied, in radians. */
  crop: FaceBox & { angle: number };
  predictions: FacePrediction[];
  mask: {
    png: Buffer;
    box: FaceBox;
    source: 'derived' | 'model';
    classes: string[];
    /** Share of the box per expressible class, from the map before encoding (what `area(...)` rules read). */
    areas: { classes: string[]; fraction: Record<string, number> };
  };
  embeddings: { modelId: string; vector: Float32Array }[];
}

export interface ImageAnalysis {
  width: number;
  height: number;
  faces: FaceResult[];
  /** Milliseconds per stage. */
  timings: Record<string, number>;
}

export interface AnalyzerOptions {
  /** Smallest face (pixels) the tile pyramid looks for on large images; 0 disables tiling. Default 40. */
  minFaceSize?: number;
  minConfidence?: number;
  maxFaces?: number;
  /**
   * Largest number of faces (or detector views) per model run. Runs of concurrent `analyze` calls on one analyzer
   * share these batches (see batcher.ts). Default DEFAULT_BATCH_SIZE.
   */
  batchSize?: number;
  /**
   * Which model serves age + gender and which expression (default: face-api's, else FACEINSIGHT_AGE_GENDER_MODEL /
   * FACEINSIGHT_EXPRESSION_MODEL; docs/models.md). faceres always runs for its descriptor.
   */
  models?: Partial<HeadModels>;
}

export interface Analyzer {
  /** Detects and analyses every face of an image (a path or the file's bytes). */
  analyze(input: Buffer | string, opts?: AnalyzeOptions): Promise<ImageAnalysis>;
  /** Analyses given face boxes (imported faces) without the presence check: every box yields a face. */
  analyzeFaces(input: Buffer | string, boxes: FaceBox[], opts?: AnalyzeOptions): Promise<ImageAnalysis>;
}

/** Human keeps a face when its rounded mesh score exceeds the detector threshold. */
const passesPresence = (score: number, min: number) => Math.round(100 * score) / 100 > min;

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

function probs(labels: readonly string[], v: Float32Array): Record<string, number> {
  return Object.fromEntries(labels.map((l, i) => [l, round4(v[i]!)]));
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AppError('cancelled', 'Analysis cancelled');
}

export type FaceOrigin = 'detection' | 'box' | 'whole-image';

interface Candidate {
  crop: FaceCrop;
  detScore: number;
  origin: FaceOrigin;
  /** Imported box, kept as the face's box. */
  given?: FaceBox;
  /** Where the crop's image sits in the analysed one (face-crop mode pads): subtracted from crop coordinates. */
  offset?: { dx: number; dy: number };
  /** Candidates of one face share a group; `pick` keeps at most one per group. */
  group?: number;
}

type Meshed = Candidate & { mesh: { presence: number; raw: Float32Array } };

/** Keeps, per group, the candidate with the highest presence (ties: the first). */
function bestPerGroup(cands: Meshed[]): Meshed[] {
  const best = new Map<number, Meshed>();
  cands.forEach((c, k) => {
    const g = c.group ?? -1 - k;
    const b = best.get(g);
    if (!b || c.mesh.presence > b.mesh.presence) best.set(g, c);
  });
  return [...best.values()];
}

/** The image in a grey border of `pad` times its width / height on each side. */
export function padImage(
  image: DecodedImage,
  pad = CROP_PAD,
): { image: DecodedImage; dx: number; dy: number } {
  const dx = Math.round(image.width * pad);
  const dy = Math.round(image.height * pad);
  const width = image.width + 2 * dx;
  const height = image.height + 2 * dy;
  const data = new Uint8Array(width * height * 3).fill(CROP_PAD_VALUE);
  const row = image.width * 3;
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * row, (y + 1) * row), ((y + dy) * width + dx) * 3);
  }
  return { image: { width, height, channels: 3, data }, dx, dy };
}

export function createAnalyzer(base: AnalysisRuntime, options: AnalyzerOptions = {}): Analyzer {
  // A runtime that batches already (the job process's model thread) is used as it is.
  const runtime =
    isBatching(base) && (options.batchSize === undefined || options.batchSize === base.batchSize)
      ? base
      : batchingRuntime(base, options.batchSize, stagePriority);
  const version = (id: string) => runtime.modelVersion(id);
  const models = headModels((id) => runtime.hasModel(id), options.models);

  function detectOptions(opts: AnalyzeOptions): DetectOptions {
    return {
      ...DEFAULT_DETECT,
      minConfidence: opts.minConfidence ?? options.minConfidence ?? DEFAULT_DETECT.minConfidence,
      maxFaces: opts.maxFaces ?? options.maxFaces ?? DEFAULT_DETECT.maxFaces,
      minFaceSize: options.minFaceSize ?? DEFAULT_DETECT.minFaceSize,
    };
  }

  /** The selfie matte of one face's map region (the region resized to the model's 256x256 input). */
  async function selfieMatte(image: DecodedImage, box: Box): Promise<Matte> {
    const input = matteInput(image, box);
    const out = await runtime.run('selfie', { 'input_1:0': { data: input, dims: [1, 256, 256, 3] } });
    const t = out['activation_10:0'];
    if (!t || !(t.data instanceof Float32Array)) {
      throw new AppError('model_error', 'Model "selfie" did not return "activation_10:0" as float32');
    }
    return { size: 256, data: t.data, imageWidth: image.width, imageHeight: image.height, box };
  }

  async function finish(
    image: DecodedImage,
    candidates: Candidate[],
    pick: (meshed: Meshed[]) => Meshed[],
    timings: Record<string, number>,
    signal?: AbortSignal,
  ): Promise<FaceResult[]> {
    let t = performance.now();
    const meshes = await runMesh(
      runtime,
      candidates.map((c) => c.crop.tensor),
    );
    const kept = pick(candidates.map((c, k) => ({ ...c, mesh: meshes[k]! })));
    timings.mesh = performance.now() - t;
    checkAbort(signal);
    if (kept.length === 0) return [];

    // The heads and the faces' selfie mattes are independent: requested together, timed together as `heads`. Each
    // face's derived parsing map is drawn as soon as its matte arrives, while the model thread still runs heads.
    t = performance.now();
    const faceLandmarks = kept.map((c) => {
      const { dx, dy } = c.offset ?? { dx: 0, dy: 0 };
      const landmarks = meshToImage(c.mesh.raw, c.crop);
      if (dx !== 0 || dy !== 0) {
        for (let i = 0; i + 2 < landmarks.length; i += 3) {
          landmarks[i] = landmarks[i]! - dx;
          landmarks[i + 1] = landmarks[i + 1]! - dy;
        }
      }
      return landmarks;
    });
    const regions = faceLandmarks.map((l) => maskRegion(l, image.width, image.height));
    const [headsRun, matteRun] = await Promise.allSettled([
      runHeads(
        runtime,
        kept.map((c) => c.crop.tensor),
        models,
      ),
      Promise.all(
        regions.map(async (r, k) =>
          derivedLabelMap(faceLandmarks[k]!, await selfieMatte(image, r), r, image),
        ),
      ),
    ]);
    if (headsRun.status === 'rejected') throw headsRun.reason;
    if (matteRun.status === 'rejected') throw matteRun.reason;
    const heads = headsRun.value;
    const maps = matteRun.value;
    timings.heads = performance.now() - t;
    checkAbort(signal);

    t = performance.now();
    const { ageGender: agId, expression: exId } = models;
    const derivedVersion =
      agId === 'faceres'
        ? `1+faceres@${version('faceres')}+${exId}@${version(exId)}+facemesh@${version('facemesh')}`
        : `2+${agId}@${version(agId)}+faceres@${version('faceres')}+${exId}@${version(exId)}+facemesh@${version('facemesh')}`;
    const faces: FaceResult[] = [];
    for (const [k, c] of kept.entries()) {
      const h = heads[k]!;
      const { dx, dy } = c.offset ?? { dx: 0, dy: 0 };
      const landmarks = faceLandmarks[k]!;
      const ag = h.ageGender;
      const male = ag.pMale > 0.5;
      const expression = argmax(h.expression);
      const race = argmax(h.race);
      const predictions: FacePrediction[] = [
        {
          modelId: agId,
          modelVersion: version(agId),
          task: 'gender',
          source: 'model',
          value: { label: male ? 'Male' : 'Female', p: round4(male ? ag.pMale : 1 - ag.pMale) },
        },
        {
          modelId: agId,
          modelVersion: version(agId),
          task: 'age',
          source: 'model',
          value: ag.probs ? { years: ag.years, p: Array.from(ag.probs, round4) } : { years: ag.years },
        },
        {
          modelId: 'gear',
          modelVersion: version('gear'),
          task: 'race',
          source: 'model',
          value: { label: RACES[race], probs: probs(RACES, h.race) },
        },
        {
          modelId: exId,
          modelVersion: version(exId),
          task: 'expression',
          source: 'model',
          value: { label: EXPRESSIONS[expression], probs: probs(EXPRESSIONS, h.expression) },
        },
      ];
      const attrs = deriveAttributes({
        pMale: ag.pMale,
        ageProbs: h.ageProbs,
        pHappy: h.expression[EXPRESSIONS.indexOf('happy')]!,
        landmarks,
        crop: c.crop.tensor,
      });
      for (const [task, value] of Object.entries(attrs)) {
        predictions.push({
          modelId: 'derived',
          modelVersion: derivedVersion,
          task,
          source: 'derived',
          value,
        });
      }
      if (c.origin === 'whole-image') {
        for (const p of predictions)
          if (p.source === 'model') p.value = { ...(p.value as object), crop: 'whole-image' };
      }
      const region = regions[k]!;
      const map = maps[k]!;
      faces.push({
        box:
          c.given ??
          (c.origin === 'whole-image'
            ? { x: 0, y: 0, w: image.width, h: image.height }
            : landmarkBox(landmarks, image.width, image.height)),
        origin: c.origin,
        detScore: round4(c.detScore),
        meshScore: round4(c.mesh.presence),
        landmarks,
        crop: cropFaceBox(c.crop.box, c.crop.angle, dx, dy),
        predictions,
        mask: {
          png: await encodeLabelMap(map),
          box: region,
          source: 'derived',
          classes: [...DERIVED_CLASSES],
          areas: labelMapAreas(map.ids, DERIVED_CLASSES),
        },
        embeddings: [
          { modelId: 'faceres', vector: h.descriptor },
          ...(h.identity ? [{ modelId: 'mobilefacenet', vector: h.identity }] : []),
        ],
      });
    }
    timings.parsing = performance.now() - t;
    return faces;
  }

  /**
   * Face-crop mode: detection on the image padded with grey; the detections' crops read the padded image (grey,
   * not black, past the photo); the most present detection that passes is the one face, else the whole image.
   */
  async function analyzeCrop(
    image: DecodedImage,
    det: DetectOptions,
    present: (c: Meshed) => boolean,
    timings: Record<string, number>,
    start: number,
    signal?: AbortSignal,
  ): Promise<ImageAnalysis> {
    let t = performance.now();
    const padded = padImage(image);
    const offset = { dx: padded.dx, dy: padded.dy };
    // Tiles look for small faces in large photos; a crop is one face filling the image.
    const detections = await detectFaces(runtime, padded.image, { ...det, minFaceSize: 0 }, signal);
    timings.detect = performance.now() - t;
    t = performance.now();
    const candidates: Candidate[] = detections.map((d) => ({
      crop: makeFaceCrop(padded.image, cropBoxOf(d), d.keypoints),
      detScore: d.score,
      origin: 'detection',
      offset,
    }));
    const whole = { x1: padded.dx, y1: padded.dy, x2: padded.dx + image.width, y2: padded.dy + image.height };
    candidates.push({
      crop: makeFaceCrop(padded.image, cropBoxOf(whole, 1), null),
      detScore: 0,
      origin: 'whole-image',
      offset,
    });
    timings.crop = performance.now() - t;
    const pick = (m: Meshed[]): Meshed[] => {
      const found = m.filter((c) => c.origin === 'detection' && present(c));
      if (found.length === 0) return m.filter((c) => c.origin === 'whole-image');
      return [found.reduce((a, b) => (b.mesh.presence > a.mesh.presence ? b : a))];
    };
    const faces = await finish(image, candidates, pick, timings, signal);
    timings.total = performance.now() - start;
    return { width: image.width, height: image.height, faces, timings };
  }

  return {
    async analyze(input, opts = {}) {
      const timings: Record<string, number> = {};
      const start = performance.now();
      const image = await decodeImage(input);
      timings.decode = performance.now() - start;
      checkAbort(opts.signal);
      const det = detectOptions(opts);
      const present = (c: Meshed) => passesPresence(c.mesh.presence, det.minConfidence);
      if (opts.faceCrop) return analyzeCrop(image, det, present, timings, start, opts.signal);
      let t = performance.now();
      const detections = await detectFaces(runtime, image, det, opts.signal);
      timings.detect = performance.now() - t;
      t = performance.now();
      const candidates: Candidate[] = detections.map((d) => ({
        crop: makeFaceCrop(image, cropBoxOf(d), d.keypoints),
        detScore: d.score,
        origin: 'detection',
      }));
      timings.crop = performance.now() - t;
      const faces = await finish(image, candidates, (m) => m.filter(present), timings, opts.signal);
      timings.total = performance.now() - start;
      return { width: image.width, height: image.height, faces, timings };
    },

    async analyzeFaces(input, boxes, opts = {}) {
      const timings: Record<string, number> = {};
      const start = performance.now();
      const image = await decodeImage(input);
      timings.decode = performance.now() - start;
      const det = detectOptions(opts);
      const t = performance.now();
      const candidates: Candidate[] = [];
      // Human's whole-image detections first: a box that holds one is analysed exactly as that detection.
      const whole = await detectFaces(runtime, image, { ...det, minFaceSize: 0 }, opts.signal);
      for (const given of boxes) {
        checkAbort(opts.signal);
        if (!(given.w > 0 && given.h > 0)) {
          throw new AppError('invalid_request', `Face box ${JSON.stringify(given)} has no area`, {
            where: { field: 'boxes' },
          });
        }
        // The face is read from the better of two crops (issue #28.2): the detection inside its box, cut as Human
        // cuts it (with its rotation), and the box itself, squared; the one facemesh finds more present wins, so a
        // detection of low presence never stands for the face.
        const group = candidates.length;
        const d = bestInside(whole, given) ?? (await detectInRegion(runtime, image, given, det));
        if (d) {
          const crop = makeFaceCrop(image, cropBoxOf(d), d.keypoints);
          candidates.push({ crop, detScore: d.score, origin: 'detection', given, group });
        }
        const own = cropBoxOf({ x1: given.x, y1: given.y, x2: given.x + given.w, y2: given.y + given.h }, 1);
        candidates.push({
          crop: makeFaceCrop(image, own, null),
          detScore: d?.score ?? 0,
          origin: 'box',
          given,
          group,
        });
      }
      timings.detect = performance.now() - t;
      const faces = await finish(image, candidates, bestPerGroup, timings, opts.signal);
      timings.total = performance.now() - start;
      return { width: image.width, height: image.height, faces, timings };
    },
  };
}

function cropFaceBox(b: CropBox, angle: number, dx = 0, dy = 0): FaceBox & { angle: number } {
  return { x: b.startX - dx, y: b.startY - dy, w: b.endX - b.startX, h: b.endY - b.startY, angle };
}

/** Bounding box of the landmarks' x / y, clamped to the image. */
function landmarkBox(l: Float32Array, width: number, height: number): FaceBox {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i + 2 < l.length; i += 3) {
    x0 = Math.min(x0, l[i]!);
    x1 = Math.max(x1, l[i]!);
    y0 = Math.min(y0, l[i + 1]!);
    y1 = Math.max(y1, l[i + 1]!);
  }
  const x = Math.max(0, x0);
  const y = Math.max(0, y0);
  return { x, y, w: Math.min(width, x1) - x, h: Math.min(height, y1) - y };
}
