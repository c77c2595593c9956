// Annotation import: validate the whole file set first (streaming), then write everything in one transaction.
import { stat } from 'node:fs/promises';
import { AppError } from '../../../shared/errors';
import type { Store, IndexedImage } from '../../store/index';
import { baseName } from './common';
import { formatModule } from './registry';
import { Problems, type Problem } from './text';
import type { AnnotationFormat, Box, FaceRecord } from './types';

export interface ImportOptions {
  datasetId: number;
  format: AnnotationFormat;
  /** A folder (files recognised by their dataset names) or the format's main label file. */
  annotations: string;
  maxErrors?: number;
  /** `csv`: label key (or file, split, x, y, w, h) -> the column holding it. */
  map?: Record<string, string>;
}

export interface ImportReport {
  format: AnnotationFormat;
  files: string[];
  /** Faces written (created or updated). */
  faces: number;
  created: number;
  updated: number;
  /** Import labels written. */
  labels: number;
  /** Imported masks written (a re-import of an unchanged mask adds no version). */
  masks: number;
  /** Rows skipped with a warning (image not in the folder, undecodable image). */
  skipped: number;
  warningCount: number;
  /** The first warnings with file, line and text. */
  warnings: Problem[];
}

/** Resolves the names an annotation file uses to the dataset's images (exact path, else a unique file name). */
export class ImageIndex {
  readonly byPath = new Map<string, IndexedImage>();
  readonly byBase = new Map<string, IndexedImage | null>();
  constructor(images: readonly IndexedImage[]) {
    for (const img of images) {
      this.byPath.set(img.relPath, img);
      for (const key of baseKeys(img.relPath)) this.byBase.set(key, this.byBase.has(key) ? null : img);
    }
  }
  find(name: string): IndexedImage | null | undefined {
    const norm = name.replaceAll('\\', '/').replace(/^\.\//, '');
    return this.byPath.get(norm) ?? this.byBase.get(baseName(norm));
  }
}

/** A file's name, and for RAF-DB's aligned copies (`train_00001_aligned.jpg`) the name its list uses. */
function baseKeys(relPath: string): string[] {
  const b = baseName(relPath);
  const aligned = /^(.*)_aligned(\.[^.]+)$/.exec(b);
  return aligned ? [b, `${aligned[1]}${aligned[2]}`] : [b];
}

async function sourceKind(path: string): Promise<'file' | 'folder'> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return 'folder';
    if (st.isFile()) return 'file';
    throw new Error('not a file or folder');
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message;
    throw new AppError('io_error', `cannot read annotations ${path}: ${why}`, {
      where: { file: path, field: 'annotations' },
    });
  }
}

/** An absolute name or one with a `..` step: never resolved, not even by its file name. */
function leavesFolder(name: string): boolean {
  const norm = name.replaceAll('\\', '/');
  return norm.startsWith('/') || /^[A-Za-z]:/.test(norm) || norm.split('/').includes('..');
}

/**
 * Formats whose images are aligned face crops when their records give no face box (UTKFace, CelebA img_align,
 * RAF-DB aligned, CelebAMask-HQ, FairFace): importing one turns the dataset's "images are face crops" mode on
 * (from 'auto'; a mode someone chose stays).
 */
export const CROP_FORMATS: readonly string[] = ['utkface', 'celeba', 'rafdb', 'celebamask-hq', 'fairface'];

/** A box with no pixel inside the image (the image's size known): a box from another image or a typo. */
function outsideImage(box: Box, img: IndexedImage): boolean {
  if (!img.width || !img.height) return false;
  return box.x >= img.width || box.y >= img.height || box.x + box.w <= 0 || box.y + box.h <= 0;
}

interface Resolved {
  rec: FaceRecord;
  img: IndexedImage;
}

export interface PreparedImport {
  /**
   * The database writes; the caller runs them inside one store.write() (a job: with its item's completion).
   * Returns the imported faces that took over an earlier detection of the same face (their rules need a re-check).
   */
  write(at?: number): number[];
  /** Counts, valid once write() ran. */
  report(): ImportReport;
}

/**
 * Reads and checks every annotation file (streaming), resolving names to the dataset's images. Throws
 * `parse_error` (listing up to maxErrors `file:line:column` problems) before anything is written when any row
 * is wrong; rows naming images that are not in the folder become warnings and are skipped.
 */
export async function prepareImport(store: Store, opts: ImportOptions): Promise<PreparedImport> {
  const ds = store.datasets.get(opts.datasetId);
  if (!ds)
    throw new AppError('not_found', `dataset ${opts.datasetId} not found`, { where: { field: 'datasetId' } });
  const kind = await sourceKind(opts.annotations);
  const images = store.annotations.images(ds.id);
  const problems = new Problems(opts.maxErrors);
  const mod = formatModule(opts.format);
  const parsed = await mod.read({
    source: opts.annotations,
    isFolder: kind === 'folder',
    imagePaths: images.map((i) => i.relPath),
    problems,
    ...(opts.map ? { map: opts.map } : {}),
  });
  problems.throwIfErrors();

  const index = new ImageIndex(images);
  const resolved: Resolved[] = [];
  let skipped = 0;
  for (const rec of parsed.records) {
    if (leavesFolder(rec.name)) {
      // `../../tmp/000002.jpg` must not match the folder's 000002.jpg by its file name.
      problems.warn(
        rec.file,
        rec.line,
        undefined,
        `image "${rec.name}" is outside the images folder (absolute or ..); row skipped`,
      );
      skipped++;
      continue;
    }
    const img = index.find(rec.name);
    if (!img) {
      problems.warn(
        rec.file,
        rec.line,
        undefined,
        img === null
          ? `"${rec.name}" names more than one image in the folder; row skipped`
          : `image "${rec.name}" is not in the folder; row skipped`,
      );
      skipped++;
    } else if (img.status !== 'ok' && !rec.box) {
      problems.warn(rec.file, rec.line, undefined, `image "${rec.name}" could not be decoded; row skipped`);
      skipped++;
    } else {
      if (rec.box && outsideImage(rec.box, img)) {
        const { x, y, w, h } = rec.box;
        problems.warn(
          rec.file,
          rec.line,
          'box',
          `box ${x},${y} ${w}x${h} lies outside the ${img.width}x${img.height} image "${rec.name}"; box ignored, the face covers the whole image`,
        );
        delete rec.box;
      }
      resolved.push({ rec, img });
    }
  }

  let created = 0;
  let labels = 0;
  let masks = 0;
  const crops =
    CROP_FORMATS.includes(opts.format) && resolved.length > 0 && resolved.every((r) => !r.rec.box);
  const write = (at = Date.now()) => {
    if (crops && store.datasets.faceCrops(ds.id) === 'auto') store.datasets.setFaceCrops(ds.id, 'on');
    const { imported: existing, nextIdx } = store.annotations.faceSlots(ds.id);
    const labelWriter = store.annotations.importLabels(at);
    const predictionWriter = store.annotations.importPredictions(opts.format, at);
    for (const { rec, img } of resolved) {
      let faces = existing.get(img.id);
      if (!faces) existing.set(img.id, (faces = []));
      let faceId = faces[rec.faceNo];
      const isNew = faceId === undefined;
      if (faceId === undefined) {
        const box = rec.box ?? { x: 0, y: 0, w: img.width ?? 0, h: img.height ?? 0 };
        const idx = nextIdx.get(img.id) ?? 0;
        faceId = store.annotations.insertFaceAt(img.id, idx, box);
        nextIdx.set(img.id, idx + 1);
        faces[rec.faceNo] = faceId;
        created++;
      } else if (rec.box) store.annotations.updateBox(faceId, rec.box);
      // The import's main cost: ~8 million labels for CelebA, multi-row upserts of 50 faces (see annotations.ts).
      labels += labelWriter.set(faceId, rec.labels);
      if (rec.split) store.annotations.setSplit(img.id, rec.split);
      if (rec.mask) {
        // CelebAMask-HQ maps cover the whole image (512 px maps for 1024 px images); the box says so.
        const box = rec.mask.box ?? rec.box ?? { x: 0, y: 0, w: img.width ?? 0, h: img.height ?? 0 };
        const last = isNew ? undefined : store.annotations.latestImportMask(faceId);
        if (!last || !last.png.equals(rec.mask.png) || JSON.stringify(last.box) !== JSON.stringify(box)) {
          store.faces.addMask(faceId, { source: 'import', png: rec.mask.png, box, areas: rec.mask.areas });
          masks++;
        }
      }
      // What an export needs to write the row back: only stored when it differs from what the face row says.
      const kept: Record<string, unknown> = {};
      if (rec.name !== img.relPath || rec.box || rec.extra)
        kept.annotation = {
          format: opts.format,
          name: rec.name,
          box: rec.box !== undefined,
          ...(rec.extra ? { extra: rec.extra } : {}),
        };
      if (rec.identity !== undefined) kept.identity = { id: rec.identity };
      if (rec.landmarks) kept.landmarks = rec.landmarks;
      // A new face has nothing to replace; an updated one drops what the previous import kept.
      if (isNew || Object.keys(kept).length > 0) predictionWriter.replace(faceId, kept, isNew);
    }
    labelWriter.flush();
    predictionWriter.flush();
    // Images analysed before this import: each imported face takes over its detection (one face, not two).
    return store.faces.mergeDuplicates(ds.id);
  };
  const report = (): ImportReport => ({
    format: opts.format,
    files: parsed.files,
    faces: resolved.length,
    created,
    updated: resolved.length - created,
    labels,
    masks,
    skipped,
    warningCount: problems.warningCount,
    warnings: problems.warnings,
  });
  return { write, report };
}

/** prepareImport + its writes in one BEGIN IMMEDIATE transaction. */
export async function importAnnotations(store: Store, opts: ImportOptions): Promise<ImportReport> {
  const prepared = await prepareImport(store, opts);
  store.write(() => prepared.write());
  return prepared.report();
}
