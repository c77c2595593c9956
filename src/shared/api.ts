// THE contract between renderer and main: every method's request/response and every event, transport-neutral.
// The types and methods live by domain in src/shared/api/*.ts; `Api` joins them into one map.
import type { DatasetsApi } from './api/datasets';
import type { FacesApi } from './api/faces';
import type { JobKind, JobsApi, JobState } from './api/jobs';
import type { LearningApi } from './api/learning';
import type { MllmApi } from './api/mllm';
import type { RulesApi } from './api/rules';
import type { SettingsApi } from './api/settings';
import type { StatsApi } from './api/stats';
import type { TeamApi } from './api/team';

export * from './api/common';
export * from './api/datasets';
export * from './api/faces';
export * from './api/jobs';
export * from './api/learning';
export * from './api/mllm';
export * from './api/rules';
export * from './api/settings';
export * from './api/stats';
export * from './api/team';

/** Every method: its request and its response. */
export type Api = SettingsApi &
  DatasetsApi &
  JobsApi &
  FacesApi &
  RulesApi &
  StatsApi &
  LearningApi &
  MllmApi &
  TeamApi;

export type Method = keyof Api;
export type Req<M extends Method> = Api[M]['req'];
export type Res<M extends Method> = Api[M]['res'];

export type Events = {
  /** A job's counters or state changed. */
  'jobs.progressed': {
    jobId: number;
    kind: JobKind;
    state: JobState;
    done: number;
    total: number;
    failed: number;
    /** The summary counters as they were when the event was sent (a finished job's are final). */
    summary: Record<string, number>;
    /** Items per second over the last few seconds (null until measurable). */
    rate: number | null;
    /** Seconds left at that rate (null when unknown). */
    etaSeconds: number | null;
  };
  /** A dataset's images changed (import progress, rescan). */
  'datasets.updated': { datasetId: number };
  /**
   * Someone changed faces' labels, masks or review status (in this process or, on PostgreSQL, in any other):
   * open galleries and review screens refetch those faces. `faceIds` null: too many to list (a bulk edit).
   */
  'faces.changed': {
    datasetId: number;
    faceIds: number[] | null;
    what: 'labels' | 'mask' | 'review';
    /** Who made the change (label_events.actor). */
    by: string;
  };
};
export type EventName = keyof Events;

/** Assets travel as URLs, never as base64. */
export type AssetKind = 'image' | 'thumb' | 'face' | 'mask';

export interface ApiClient {
  call<M extends Method>(method: M, req: Req<M>): Promise<Res<M>>;
  on<E extends EventName>(event: E, fn: (payload: Events[E]) => void): () => void;
  /**
   * URL the renderer can put in an <img src> (image, thumb, face crop) or fetch (mask PNG; params: source,
   * version). `face` and `mask` take a face id.
   */
  assetUrl(kind: AssetKind, id: number, params?: Record<string, string | number>): string;
}

export const METHODS = [
  'app.info',
  'datasets.create',
  'datasets.list',
  'datasets.get',
  'datasets.rescan',
  'datasets.setFaceCrops',
  'images.list',
  'jobs.list',
  'jobs.get',
  'jobs.cancel',
  'jobs.pause',
  'jobs.resume',
  'jobs.retry',
  'jobs.failures',
  'system.pickFolder',
  'datasets.analyze',
  'images.analyze',
  'faces.list',
  'faces.get',
  'labels.set',
  'rules.get',
  'rules.check',
  'rules.set',
  'violations.list',
  'violations.counts',
  'stats.cooccurrence',
  'datasets.releases',
  'datasets.importAnnotations',
  'exports.start',
  'jobs.report',
  'labels.apply',
  'labels.undo',
  'labels.redo',
  'reviews.set',
  'faces.proposal',
  'masks.save',
  'datasets.stats',
  'faces.facets',
  'labels.bulkSet',
  'stats.agreement',
  'settings.get',
  'settings.set',
  'learning.train',
  'learning.report',
  'learning.settings',
  'learning.next',
  'learning.ranking',
  'learning.identities',
  'learning.suspects',
  'learning.noise',
  'mllm.endpoints',
  'mllm.saveEndpoint',
  'mllm.deleteEndpoint',
  'mllm.audit',
  'mllm.report',
  'connection.get',
  'connection.set',
  'team.me',
  'team.settings',
  'team.agreement',
  'team.takeOver',
] as const satisfies readonly Method[];

export const EVENTS = [
  'jobs.progressed',
  'datasets.updated',
  'faces.changed',
] as const satisfies readonly EventName[];
