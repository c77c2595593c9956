// Annotation imports and exports from the CLI: start the job, wait, print its report; the exit code it earns.
import type { Job, JobReport } from '../../shared/api';
import { formatError } from '../../shared/errors';
import type { AppHost } from '../app';
import { waitForJob } from './common';
import { noteLeftoverJobs } from './jobs';

/** Starts an annotations / export job, waits, prints its report (warnings, errors, files); 0 done, 1 refused. */
export async function runReportedJob(
  host: AppHost,
  method: string,
  req: unknown,
  json: boolean | undefined,
  noteLeftovers = false,
): Promise<number> {
  const env = await host.call(method, req);
  if (!env.ok) {
    console.error(`faceinsight: ${formatError(env.error)}`);
    return env.error.code === 'invalid_request' || env.error.code === 'not_found' ? 2 : 1;
  }
  if (noteLeftovers) noteLeftoverJobs(host);
  const final = await waitForJob(host, (env.value as Job).id);
  const rep = await host.call('jobs.report', { id: final.id });
  const report = rep.ok ? (rep.value as { report: JobReport | null }).report : null;
  if (json)
    console.log(
      JSON.stringify({
        jobId: final.id,
        kind: final.kind,
        state: final.state,
        summary: final.summary,
        report,
      }),
    );
  else {
    for (const w of report?.warnings ?? []) console.error(`warning: ${formatError(w)}`);
    const more = (report?.warningCount ?? 0) - (report?.warnings.length ?? 0);
    if (more > 0) console.error(`warning: … and ${more} more`);
    if (final.state === 'done') {
      const counts = Object.entries(final.summary)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(`${final.kind} done; ${counts}`);
      for (const f of report?.files ?? []) console.log(`  ${f}`);
    } else {
      const errors = report?.errors.length
        ? report.errors.map((e) => formatError(e))
        : [final.error ?? final.state];
      for (const e of errors) console.error(`error: ${e}`);
    }
  }
  if (final.state === 'done') return 0;
  // A job that could not read its input (a label file that is a FIFO, unreadable) is exit 2, like a bad path.
  const codes = report?.errors.map((e) => e.code) ?? [];
  return codes.length > 0 && codes.every((c) => c === 'io_error') ? 2 : 1;
}
