// The library's jobs list: which jobs show (every unfinished one, the last few finished), how long one took.
import type { Job } from '@shared/api';

/** Finished jobs shown before "Show older". */
export const FINISHED_SHOWN = 5;

const FINISHED: readonly Job['state'][] = ['done', 'failed', 'cancelled'];
export const isFinished = (j: Pick<Job, 'state'>): boolean => FINISHED.includes(j.state);

/** Unfinished jobs, then the newest `keep` finished ones (the API lists newest first); `hidden` counts the rest. */
export function visibleJobs<J extends Job>(
  jobs: readonly J[],
  keep = FINISHED_SHOWN,
): { shown: J[]; hidden: number } {
  let finished = 0;
  const shown = jobs.filter((j) => !isFinished(j) || ++finished <= keep);
  return { shown, hidden: jobs.length - shown.length };
}

/** A duration as people read it: "0.4 s", "12 s", "3 min 05 s", "1 h 02 min". */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
