// A runner waiting on items another runner holds frees them as soon as that runner is gone from this machine,
// instead of waiting out the 5-minute lease (a runner killed just before the next one started was still alive
// when that one looked at start-up).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LEASE_MS, releaseDeadRunners, runJob } from '../../../src/main/jobs/runner';
import type { JobHandlers } from '../../../src/main/jobs/types';
import { dataPaths } from '../../../src/main/paths';
import { tempStores } from '../../helpers/store';

const newStore = tempStores('fi-dead-runner-');

describe('claims of a dead runner', () => {
  it('are freed while waiting, so the job finishes without waiting for the lease', async () => {
    const { dir, store } = newStore();
    const processed: string[] = [];
    // A job kind of the real engine's shape: two items, each recorded when processed.
    const handlers: JobHandlers = {
      export: {
        plan: async () => ({ keys: ['a', 'b'] }),
        process: async (_job, item) => {
          processed.push(item.key);
          return { counter: 'done' };
        },
      },
    };
    const jobId = store.write(() => store.jobs.create('export', null, {}));
    store.write(() => {
      store.jobs.addItems(jobId, ['a', 'b']);
      store.jobs.setPlanned(jobId, 2);
      store.jobs.transition(jobId, ['queued'], 'running');
    });
    // Another runner, alive now, claims item a (a real process, so the liveness check has a real pid).
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const claimed = store.write(() => store.jobs.claim(jobId, `runner-${other.pid}`, LEASE_MS));
    expect(claimed?.key).toBe('a');
    expect(releaseDeadRunners(store, process.pid)).toBe(0); // alive: nothing to free

    const ctx = {
      store,
      paths: dataPaths(dir),
      worker: `runner-${process.pid}`,
      signal: new AbortController().signal,
      releaseDead: () => releaseDeadRunners(store, process.pid),
    };
    const run = runJob(store.jobs.get(jobId)!, handlers, ctx, { onProgress: () => {} });
    // b is processed; a waits on the other runner until it dies.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (processed.includes('b')) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    expect(processed).toEqual(['b']);
    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    await run;
    expect(processed).toEqual(['b', 'a']);
    expect(store.jobs.get(jobId)).toMatchObject({ state: 'done', done: 2, failed: 0 });
  }, 60_000);
});
