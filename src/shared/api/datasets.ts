// Datasets, their images, annotation formats and exports: datasets.*, images.*, exports.start.
import type { ExecutionProviderRequest, Page } from './common';
import type { Job } from './jobs';

export type DatasetFormat = 'folder';

/**
 * "Images are face crops" (UTKFace, CelebA aligned, FER, RAF-DB aligned): 'on' pads each image with grey before
 * detection, keeps one face per image and takes the whole image as the face where no detection passes; 'off'
 * analyses images as photos; 'auto' (the default) is on when most of the dataset's images are small (see
 * FACE_CROP_MAX_SIDE). Importers of crop datasets set 'on'.
 */
export type FaceCropsMode = 'auto' | 'on' | 'off';

export const FACE_CROPS_MODES = ['auto', 'on', 'off'] as const satisfies readonly FaceCropsMode[];

export interface Dataset {
  id: number;
  name: string;
  /** Absolute root folder; identifies the dataset. */
  root: string;
  format: DatasetFormat;
  /** "Images are face crops" mode (FaceCropsMode). */
  faceCrops: FaceCropsMode;
  createdAt: number;
  imageCount: number;
  errorCount: number;
}

export type ImageStatus = 'ok' | 'error';

export interface ImageSummary {
  id: number;
  datasetId: number;
  relPath: string;
  sha256: string | null;
  width: number | null;
  height: number | null;
  status: ImageStatus;
  error: string | null;
  /** Number of other images in the dataset with the same bytes (never merged). */
  duplicates: number;
}

/** Dataset annotation formats the importer reads and the exporter writes back. */
export const ANNOTATION_FORMATS = [
  'celeba',
  'celebamask-hq',
  'fairface',
  'utkface',
  'rafdb',
  'expw',
  'csv',
  'json',
] as const;

export type AnnotationFormat = (typeof ANNOTATION_FORMATS)[number];

/** Export layouts: the dataset formats plus COCO-style JSON, mask PNGs and MLLM instruction JSONL. */
export const EXPORT_FORMATS = [...ANNOTATION_FORMATS, 'coco', 'masks', 'instructions'] as const;

export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Per-dataset counters for the library. */
export interface DatasetStats {
  datasetId: number;
  images: number;
  errors: number;
  faces: number;
  reviewed: number;
  /** Open violations and the faces that have at least one. */
  violations: number;
  facesWithViolations: number;
  analyzed: number;
}

export type DatasetsApi = {
  /** Creates a dataset from a folder (or finds the one with that root) and starts its import job. */
  'datasets.create': { req: { root: string; name?: string }; res: { dataset: Dataset; job: Job } };
  /** All datasets with their image counts. */
  'datasets.list': { req: Record<string, never>; res: { items: Dataset[] } };
  /** One dataset. */
  'datasets.get': { req: { id: number }; res: Dataset };
  /** Re-walks a dataset's folder: new files are added, known ones left alone. */
  'datasets.rescan': { req: { id: number }; res: Job };
  /**
   * Sets a dataset's "images are face crops" mode; the next `datasets.analyze` re-analyses the images whose mode it
   * changes (the mode is part of their analysis key).
   */
  'datasets.setFaceCrops': { req: { id: number; faceCrops: FaceCropsMode }; res: Dataset };
  /** A page of a dataset's images in import order (an import walks paths sorted). */
  'images.list': {
    req: { datasetId: number; status?: ImageStatus; cursor?: number; limit?: number };
    res: Page<ImageSummary>;
  };
  /** Queues analysis of a dataset's images not yet analysed with the current models (all with `force`). */
  'datasets.analyze': {
    req: {
      datasetId: number;
      force?: boolean;
      ep?: ExecutionProviderRequest;
      concurrency?: number;
      batchSize?: number;
    };
    res: Job;
  };
  /** Re-runs analysis of one image now (the review screen's "re-run"); human labels and masks stay. */
  'images.analyze': { req: { imageId: number; ep?: ExecutionProviderRequest }; res: Job };
  /**
   * Known release files (list_attr_celeba.txt, fairface_label_*.csv, ...) in a dataset's folder or its parent,
   * one per format, most specific first: what the library offers to import. `source` goes to importAnnotations.
   */
  'datasets.releases': {
    req: { datasetId: number };
    res: { items: { format: AnnotationFormat; source: string; file: string }[] };
  };
  /** Queues an annotation import (validated whole first; refused files write nothing) into a dataset. */
  'datasets.importAnnotations': {
    req: {
      datasetId: number;
      format: AnnotationFormat;
      annotations?: string;
      maxErrors?: number;
      /** `csv`: label key (or file, split, x, y, w, h) -> the column holding it. */
      map?: Record<string, string>;
    };
    res: Job;
  };
  /** Queues an export of a dataset's effective labels (human > import [> prediction]) into a folder. */
  'exports.start': {
    req: {
      datasetId: number;
      format: ExportFormat;
      out: string;
      reviewedOnly?: boolean;
      includePredictions?: boolean;
      /**
       * With includePredictions: where predicted values come from, `models` (the face models and learned
       * heads, the default) or `mllm:<model>` (a vision LLM's parsed answers from an `mllm-audit`).
       */
      predictionSource?: string;
      overwrite?: boolean;
      /** `instructions`: seed of the phrasing choices (same seed, same output). */
      seed?: number;
    };
    res: Job;
  };
  /** Library counters per dataset (images, faces, reviewed, open violations). */
  'datasets.stats': { req: { datasetId?: number }; res: { items: DatasetStats[] } };
};
