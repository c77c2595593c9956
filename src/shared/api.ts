// THE contract between renderer and main: every method's request/response and every event, transport-neutral.

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, null on the last page. */
  nextCursor: number | null;
  /** Count of all rows matching the query (not just this page). */
  total: number;
}

export type DatasetFormat = 'folder';

export interface Dataset {
  id: number;
  name: string;
  /** Absolute root folder; identifies the dataset. */
  root: string;
  format: DatasetFormat;
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

export type JobKind = 'import';
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface Job {
  id: number;
  kind: JobKind;
  datasetId: number | null;
  state: JobState;
  done: number;
  total: number;
  /** Items that ended in an error (e.g. undecodable images). */
  failed: number;
  error: string | null;
  /** Kind-specific counters, e.g. `{ added, unchanged, errors, skipped }` for an import. */
  summary: Record<string, number>;
  createdAt: number;
  updatedAt: number;
}

export interface AppInfo {
  version: string;
  mode: 'electron' | 'browser';
  dataDir: string;
  dbPath: string;
  /** Folder with the bundled sample photos, or null when they were not built. */
  samplesDir: string | null;
  /** True when the host can show a native folder picker (`system.pickFolder`). */
  canPickFolder: boolean;
}

export type Api = {
  /** Version, mode, data locations and host capabilities. */
  'app.info': { req: Record<string, never>; res: AppInfo };
  /** Creates a dataset from a folder (or finds the one with that root) and starts its import job. */
  'datasets.create': { req: { root: string; name?: string }; res: { dataset: Dataset; job: Job } };
  /** All datasets with their image counts. */
  'datasets.list': { req: Record<string, never>; res: { items: Dataset[] } };
  /** One dataset. */
  'datasets.get': { req: { id: number }; res: Dataset };
  /** Re-walks a dataset's folder: new files are added, known ones left alone. */
  'datasets.rescan': { req: { id: number }; res: Job };
  /** A page of a dataset's images in import order (an import walks paths sorted). */
  'images.list': {
    req: { datasetId: number; status?: ImageStatus; cursor?: number; limit?: number };
    res: Page<ImageSummary>;
  };
  /** Recent jobs, newest first. */
  'jobs.list': { req: { datasetId?: number; limit?: number }; res: { items: Job[] } };
  /** One job. */
  'jobs.get': { req: { id: number }; res: Job };
  /** Asks a queued or running job to stop after the item in flight. */
  'jobs.cancel': { req: { id: number }; res: Job };
  /** Native folder picker (Electron); resolves `{ path: null }` when cancelled. */
  'system.pickFolder': { req: { title?: string }; res: { path: string | null } };
};

export type Method = keyof Api;
export type Req<M extends Method> = Api[M]['req'];
export type Res<M extends Method> = Api[M]['res'];

export type Events = {
  /** A job's counters or state changed. */
  'jobs.progressed': { jobId: number; state: JobState; done: number; total: number; failed: number };
  /** A dataset's images changed (import progress, rescan). */
  'datasets.updated': { datasetId: number };
};
export type EventName = keyof Events;

/** Assets travel as URLs, never as base64. */
export type AssetKind = 'image' | 'thumb';

export interface ApiClient {
  call<M extends Method>(method: M, req: Req<M>): Promise<Res<M>>;
  on<E extends EventName>(event: E, fn: (payload: Events[E]) => void): () => void;
  /** URL the renderer can put in an <img src> for an image's original or thumbnail. */
  assetUrl(kind: AssetKind, id: number): string;
}

export const METHODS = [
  'app.info',
  'datasets.create',
  'datasets.list',
  'datasets.get',
  'datasets.rescan',
  'images.list',
  'jobs.list',
  'jobs.get',
  'jobs.cancel',
  'system.pickFolder',
] as const satisfies readonly Method[];

export const EVENTS = ['jobs.progressed', 'datasets.updated'] as const satisfies readonly EventName[];
