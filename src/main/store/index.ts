// The store: one connection per process with its repositories; the only module that touches the database (a
// SQLite file or PostgreSQL, store/db.ts).
import { integrityCheck, openDb, schemaVersion, write, type Db, type OpenOptions } from './db';
import { dialectOf, type Dialect } from './db-types';
import { redactDbTarget } from './target';
import { createDatasetsRepository } from './repositories/datasets';
import { createImagesRepository } from './repositories/images';
import { createJobsRepository } from './repositories/jobs';
import { createFacesRepository } from './repositories/faces';
import { createLabelsRepository } from './repositories/labels';
import { createRulesRepository } from './repositories/rules';
import { createAnnotationsRepository } from './repositories/annotations';
import { createLearningRepository } from './repositories/learning';
import { createGalleryRepository } from './repositories/gallery';
import { createLabelHistoryRepository } from './repositories/label-history';
import { createIdentitiesRepository } from './repositories/identities';
import { createMllmRepository } from './repositories/mllm';
import { createTeamRepository } from './repositories/team';
import { createEventsRepository } from './repositories/events';

export type { ImageRecord, ImageLocation } from './repositories/images';
export type { JobRecord, ClaimedItem } from './repositories/jobs';
export { toJob } from './repositories/jobs';
export type { Box, FaceRow, PredictionInput, PredictionRecord, MaskRecord } from './repositories/faces';
export type { StoredLabel, LabelEvent } from './repositories/labels';
export type { StoredIdentityReport } from './repositories/identities';
export type { MllmAnswerInput, MllmAuditRow, MllmFaceTarget } from './repositories/mllm';
export type { UserRow, UserRole, ReviewSignoff } from './repositories/team';
export type { RuleRow, ViolationInput, ViolationRow, ViolationQuery } from './repositories/rules';
export type { IndexedImage, ExportRow } from './repositories/annotations';
export { IMPORT_MODEL_ID } from './repositories/annotations';
export type {
  LearnedModelRow,
  LearningSettings,
  EmbeddingModel,
  FaceImageRow,
} from './repositories/learning';

export { isPostgresUrl, redactDbTarget } from './target';
export { BOSS_SCHEMA, ItemQueue, queueName, type Delivery } from './queue';
export {
  eventOrigin,
  listenEvents,
  ORIGIN_ENV,
  type EventListenOptions,
  type EventSubscription,
} from './events';

export interface Store {
  /** What was opened: a SQLite file path or a PostgreSQL URL (with its password: never log this one). */
  readonly file: string;
  /** `file` as it may be shown or logged (a URL's password hidden). */
  readonly displayName: string;
  readonly dialect: Dialect;
  readonly datasets: ReturnType<typeof createDatasetsRepository>;
  readonly images: ReturnType<typeof createImagesRepository>;
  readonly jobs: ReturnType<typeof createJobsRepository>;
  readonly faces: ReturnType<typeof createFacesRepository>;
  readonly labels: ReturnType<typeof createLabelsRepository>;
  readonly rules: ReturnType<typeof createRulesRepository>;
  readonly annotations: ReturnType<typeof createAnnotationsRepository>;
  readonly learning: ReturnType<typeof createLearningRepository>;
  readonly gallery: ReturnType<typeof createGalleryRepository>;
  readonly labelHistory: ReturnType<typeof createLabelHistoryRepository>;
  readonly identities: ReturnType<typeof createIdentitiesRepository>;
  readonly mllm: ReturnType<typeof createMllmRepository>;
  /** Team mode: users, review claims, reviewers' sign-offs (migration 0013). */
  readonly team: ReturnType<typeof createTeamRepository>;
  /**
   * Tells the other processes and machines on the same PostgreSQL database about an event (NOTIFY; inside a
   * write, delivered at its commit); a no-op on SQLite. Payloads carry ids and small counters.
   */
  notify(event: string, payload: unknown): void;
  /** Runs fn in one write transaction (SQLite BEGIN IMMEDIATE; PostgreSQL BEGIN + the advisory write lock). */
  write<T>(fn: () => T): T;
  /** Current schema version (PRAGMA user_version; schema_version on PostgreSQL). */
  schemaVersion(): number;
  integrityCheck(): string;
  close(): void;
}

/** Opens a SQLite file or a `postgres://` / `postgresql://` URL, migrated, with its repositories. */
export function openStore(file: string, opts: OpenOptions = {}): Store {
  const db: Db = openDb(file, opts);
  return {
    file,
    displayName: redactDbTarget(file),
    dialect: dialectOf(db),
    datasets: createDatasetsRepository(db),
    images: createImagesRepository(db),
    jobs: createJobsRepository(db),
    faces: createFacesRepository(db),
    labels: createLabelsRepository(db),
    rules: createRulesRepository(db),
    annotations: createAnnotationsRepository(db),
    learning: createLearningRepository(db),
    gallery: createGalleryRepository(db),
    labelHistory: createLabelHistoryRepository(db),
    identities: createIdentitiesRepository(db),
    mllm: createMllmRepository(db),
    team: createTeamRepository(db),
    notify: createEventsRepository(db).notify,
    write: (fn) => write(db, fn),
    schemaVersion: () => schemaVersion(db),
    integrityCheck: () => integrityCheck(db),
    close: () => void db.close(),
  };
}
