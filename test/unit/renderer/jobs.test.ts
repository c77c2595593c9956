// The library's jobs list: unfinished jobs always shown, the newest finished ones up to a limit; durations.
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../src/shared/api';
import { duration, visibleJobs } from '../../../src/renderer/src/lib/components/library/jobs';

const job = (id: number, state: Job['state']): Job => ({
  id,
  kind: 'analyze',
  datasetId: 1,
  state,
  done: 0,
  total: 0,
  failed: 0,
  error: null,
  summary: {},
  createdAt: 0,
  updatedAt: 0,
});

describe('jobs list', () => {
  it('keeps every unfinished job and the newest finished ones, counting the hidden', () => {
    const jobs = [
      job(9, 'running'),
      ...[8, 7, 6, 5, 4, 3].map((id) => job(id, 'done')),
      job(2, 'paused'),
      job(1, 'failed'),
    ];
    const { shown, hidden } = visibleJobs(jobs, 3);
    expect(shown.map((j) => j.id)).toEqual([9, 8, 7, 6, 2]);
    expect(hidden).toBe(4);
    expect(visibleJobs(jobs, Infinity)).toEqual({ shown: jobs, hidden: 0 });
  });

  it('reads durations in seconds, minutes and hours', () => {
    expect(duration(420)).toBe('0.4 s');
    expect(duration(12_400)).toBe('12 s');
    expect(duration(185_000)).toBe('3 min 05 s');
    expect(duration(3_720_000)).toBe('1 h 02 min');
    expect(duration(-5)).toBe('0.0 s');
  });
});
