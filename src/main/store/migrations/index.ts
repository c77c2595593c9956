// Ordered list of migrations; merged ones are never edited. Migration N sets PRAGMA user_version = N (SQLite) or
// schema_version.version = N (PostgreSQL). PostgreSQL starts from a baseline equal to the SQLite schema at
// PG_BASELINE_VERSION (pg/schema.ts); every migration after it gives its PostgreSQL step as `pg`.
import type { Database } from 'better-sqlite3';
import type { Db } from '../db-types';
import { up as initial } from './0001-initial';
import { up as maskAreas } from './0002-mask-areas';
import { up as analysisState } from './0003-analysis-state';
import { up as learning } from './0004-learning';
import { up as labelHistory } from './0005-label-history';
import { up as bestPredictions } from './0006-best-predictions';
import { up as mergeDuplicateFaces } from './0007-merge-duplicate-faces';
import { up as identityReports } from './0008-identity-reports';
import { up as labelIssues } from './0009-label-issues';
import { up as maskHistory } from './0010-mask-history';
import { up as faceCrops } from './0011-face-crops';
import { up as mllm } from './0012-mllm';
import { up as team, pg as teamPg } from './0013-team';
import { up as reviewTakeovers, pg as reviewTakeoversPg } from './0014-review-takeovers';

export interface Migration {
  version: number;
  name: string;
  up: (db: Database) => void;
  /** The same change on PostgreSQL; required for every migration after PG_BASELINE_VERSION (a test checks). */
  pg?: (db: Db) => void;
}

export const migrations: Migration[] = [
  { version: 1, name: '0001-initial', up: initial },
  { version: 2, name: '0002-mask-areas', up: maskAreas },
  { version: 3, name: '0003-analysis-state', up: analysisState },
  { version: 4, name: '0004-learning', up: learning },
  { version: 5, name: '0005-label-history', up: labelHistory },
  { version: 6, name: '0006-best-predictions', up: bestPredictions },
  { version: 7, name: '0007-merge-duplicate-faces', up: mergeDuplicateFaces },
  { version: 8, name: '0008-identity-reports', up: identityReports },
  { version: 9, name: '0009-label-issues', up: labelIssues },
  { version: 10, name: '0010-mask-history', up: maskHistory },
  { version: 11, name: '0011-face-crops', up: faceCrops },
  { version: 12, name: '0012-mllm', up: mllm },
  { version: 13, name: '0013-team', up: team, pg: teamPg },
  { version: 14, name: '0014-review-takeovers', up: reviewTakeovers, pg: reviewTakeoversPg },
];
