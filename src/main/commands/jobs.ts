// `faceinsight jobs list | cancel ID | retry ID`, and the one-line notice of jobs earlier commands left unfinished.
import { AppError, formatError } from '../../shared/errors';
import type { Job } from '../../shared/api';
import type { AppHost } from '../app';
import { MAX_ITEM_ATTEMPTS } from '../jobs/runner';
import { FINAL_STATES, invoke, openHost, parse, waitForJob } from './common';

export const JOBS_HELP = `  faceinsight jobs [list] [--limit N] [--db FILE] [--json]
  faceinsight jobs cancel ID | retry ID [--db FILE] [--json]
      list: the newest jobs (id, kind, dataset, state, done/total, failed, error). cancel: stops a queued, running
      or paused job. retry: runs a failed, cancelled or unfinished job again (its failed and pending items, each
      with its attempts reset) and waits for it. A command runs only its own jobs: one an earlier command left
      running (killed, or its job process died) waits for \`jobs retry\` or --resume; the app and serve run the
      app's own queue only. An item is given up after ${MAX_ITEM_ATTEMPTS} claims that each ended with its job process
      dying; its job then fails with the reason. Exit codes: 0 ok; 1 the retried job did not finish (failed,
      cancelled); 2 usage, no such job, or a job in a state that cannot be cancelled or retried.`;

const settle = (host: AppHost, id: number): Promise<Job> => waitForJob(host, id, { paused: true });

function row(j: Job): string {
  const error = j.error ? `  ${j.error.split('\n')[0]}` : '';
  return `${j.id}\t${j.kind}\t${j.datasetId ?? '-'}\t${j.state}\t${j.done}/${j.total}\t${j.failed}${error}`;
}

/**
 * Says, one line each, which unfinished jobs earlier commands left that this process will not run (for a
 * command: those older than its newest own job, not its own) and how to continue them.
 */
export function noteLeftoverJobs(host: AppHost, resumeHint = true): void {
  const newest = Math.max(0, ...host.jobs.ownJobs);
  for (const j of host.jobs.leftovers()) {
    if (newest && j.id > newest) continue; // started meanwhile by another command that is still running
    const how = resumeHint ? ' or pass --resume' : '';
    console.error(
      j.params.command
        ? `job ${j.id} (${j.kind}) was left ${j.state} by an earlier command; \`faceinsight jobs retry ${j.id}\`${how} to continue it`
        : `job ${j.id} (${j.kind}) is ${j.state} in the app's queue (the app or \`faceinsight serve\` runs it); left alone`,
    );
  }
}

/** `--resume`: this command's job process also runs, oldest first, every job earlier commands left unfinished. */
export function resumeLeftoverJobs(host: AppHost): void {
  const left = host.jobs.leftovers();
  for (const j of left)
    console.error(`resuming job ${j.id} (${j.kind}), left ${j.state} by an earlier command`);
  if (left.length > 0) host.jobs.wake(left.map((j) => j.id));
}

export async function jobsCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [action = 'list', rawId, ...extra] = positionals;
  if (extra.length > 0) throw new AppError('invalid_request', `jobs: unexpected argument "${extra[0]}"`);
  if (action !== 'list' && action !== 'cancel' && action !== 'retry')
    throw new AppError('invalid_request', `jobs: expected list, cancel ID or retry ID; got "${action}"`);
  const id = Number(rawId);
  if (action === 'list' ? rawId !== undefined : !Number.isInteger(id) || id < 1)
    throw new AppError(
      'invalid_request',
      action === 'list' ? `jobs list: unexpected argument "${rawId}"` : `jobs ${action}: expected a job id`,
    );
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw new AppError(
      'invalid_request',
      `--limit: expected an integer from 1 to 500, got "${values.limit}"`,
    );
  const host = await openHost(values);
  try {
    if (action === 'list') {
      const { items } = await invoke(host, 'jobs.list', { limit });
      if (values.json) console.log(JSON.stringify({ items }));
      else {
        console.log('id\tkind\tdataset\tstate\tdone/total\tfailed\terror');
        for (const j of items) console.log(row(j));
      }
      return 0;
    }
    const before = await invoke(host, 'jobs.get', { id });
    if (action === 'cancel' && FINAL_STATES.has(before.state))
      throw new AppError(
        'conflict',
        `job ${id} is ${before.state}; only queued, running or paused jobs cancel`,
      );
    // Cancel: a running job stops after its item in flight (or at once when its process is gone).
    // Retry: the job runs here, in this command's job process, to its end.
    await invoke(host, action === 'cancel' ? 'jobs.cancel' : 'jobs.retry', { id });
    const job = await settle(host, id);
    if (values.json) console.log(JSON.stringify(job));
    else {
      console.log(
        `job ${id} (${job.kind}) ${job.state}; ${job.done}/${job.total} done, ${job.failed} failed`,
      );
      if (job.error) console.error(`error: ${job.error}`);
      if (action === 'retry')
        for (const f of (
          await invoke(host, 'jobs.failures', {
            id,
            limit: 20,
          })
        ).items)
          console.error(`error: ${f.label}: ${f.error ?? ''}`);
    }
    return action === 'retry' && job.state !== 'done' ? 1 : 0;
  } catch (err) {
    const e = AppError.from(err);
    if (e.code !== 'not_found' && e.code !== 'conflict') throw err;
    console.error(`faceinsight jobs ${action}: ${formatError(e)}`);
    return 2;
  } finally {
    await host.close();
  }
}
