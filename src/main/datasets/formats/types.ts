// What every format module reads into (face records keyed by image name) and writes from (export faces).
import type { Problems } from './text';

import type { AnnotationFormat } from '../../../shared/api';

export { ANNOTATION_FORMATS, EXPORT_FORMATS } from '../../../shared/api';
export type { AnnotationFormat, ExportFormat } from '../../../shared/api';

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One face as an annotation file describes it; several files of a dataset merge into one record. */
export interface FaceRecord {
  /** File and line of the record's first mention (warnings point there). */
  file: string;
  line: number;
  /** The image as the file names it: a path relative to the images folder, or a bare file name. */
  name: string;
  /** Order of the face within its image (0 for one-face formats). */
  faceNo: number;
  box?: Box;
  /** Label key -> value text as stored (CelebA `1` / `-1`, age years, taxonomy names). */
  labels: Record<string, string>;
  split?: string;
  identity?: number;
  landmarks?: { layout: string; points: number[] };
  /** Format-specific cells kept so an export can write the row back unchanged (e.g. FairFace service_test). */
  extra?: Record<string, string>;
  /** An imported parsing map (CelebAMask-HQ): label-map PNG in canonical ids; box defaults to the face's. */
  mask?: { png: Buffer; areas: { classes: string[]; fraction: Record<string, number> }; box?: Box };
}

export interface ReadContext {
  /** The --annotations path: a folder (files recognised by name) or the format's main label file. */
  source: string;
  isFolder: boolean;
  /** Every image path of the dataset (relative, POSIX); UTKFace reads its labels from these names. */
  imagePaths: readonly string[];
  problems: Problems;
  /** `csv`: label key (or file, split, x, y, w, h) -> the column holding it. */
  map?: Record<string, string>;
}

export interface ParsedAnnotations {
  records: FaceRecord[];
  /** The annotation files read, in order. */
  files: string[];
}

/** A face as the exporter hands it to a format: its effective values after precedence. */
export interface ExportFace {
  faceId: number;
  imageId: number;
  relPath: string;
  split: string | null;
  width: number | null;
  height: number | null;
  idx: number;
  faceSource: 'detected' | 'imported';
  box: Box;
  /** Effective value per key (human > import > prediction when asked). */
  values: Record<string, string>;
  /** Where each effective value came from. */
  sources: Record<string, 'human' | 'import' | 'prediction'>;
  /** Every stored label, both sources. */
  labels: { key: string; source: 'human' | 'import'; value: string }[];
  review: string | null;
  /** What the import kept for a lossless write-back (name as the file spelled it, extra cells). */
  annotation: { format: string; name: string; box: boolean; extra?: Record<string, string> } | null;
  identity: number | null;
  landmarks: { layout: string; points: number[] } | null;
  predictions: { task: string; modelId: string; modelVersion: string; source: string; value: unknown }[];
}

/** A file an export produces: text lines (LF appended to each) or a copy of an image. */
export type OutputFile =
  | { name: string; lines: () => Iterable<string> }
  | { name: string; copyFrom: string }
  | { name: string; bytes: () => Promise<Buffer> };

/** The mask an export writes for a face: its best one (human > import > model > derived, newest version). */
export interface FaceMask {
  source: 'human' | 'import' | 'model' | 'derived';
  version: number;
  png: Buffer;
  /** Image pixels the map covers (the PNG may be smaller: CelebAMask-HQ maps are 512 px for 1024 px images). */
  box: Box;
}

export interface WriteContext {
  faces: readonly ExportFace[];
  /** Absolute dataset root (UTKFace export copies images from it). */
  root: string;
  problems: Problems;
  /** A face's best mask, or null (mask-writing formats only). */
  masks?: (faceId: number) => FaceMask | null;
}

export interface FormatModule {
  id: AnnotationFormat;
  /** File names recognised inside an --annotations folder. */
  read(ctx: ReadContext): Promise<ParsedAnnotations>;
  write(ctx: WriteContext): OutputFile[] | Promise<OutputFile[]>;
}
