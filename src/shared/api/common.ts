// Shared building blocks of the API contract: pages, boxes, review states, execution providers.

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, null on the last page. */
  nextCursor: number | null;
  /** Count of all rows matching the query (not just this page). */
  total: number;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where inference runs: `auto` picks a verified GPU provider, else CPU. */
export const EXECUTION_PROVIDERS = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;

export type ExecutionProviderRequest = (typeof EXECUTION_PROVIDERS)[number];

export type ReviewStatus = 'unreviewed' | 'reviewed' | 'flagged' | 'skipped';

export type FaceSource = 'detected' | 'imported';

export type Severity = 'error' | 'warning';

export type ViolationSubject = 'labels' | 'predictions' | 'cross';
