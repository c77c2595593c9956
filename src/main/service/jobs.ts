// jobs.*: the job queue as the UI and the CLI see it (list, progress, failures, pause / resume / cancel / retry).
import type { JobReport } from '../../shared/api';
import { AppError } from '../../shared/errors';
import { toJob } from '../store/index';
import type { Handlers, ServiceContext } from './context';

type JobMethods =
  | 'jobs.list'
  | 'jobs.get'
  | 'jobs.failures'
  | 'jobs.cancel'
  | 'jobs.pause'
  | 'jobs.resume'
  | 'jobs.retry'
  | 'jobs.report';

export function jobHandlers(ctx: ServiceContext): Pick<Handlers, JobMethods> {
  const { store, deps, getJob } = ctx;
  return {
    'jobs.list': (q) => ({ items: store.jobs.list(q).map(toJob) }),
    'jobs.get': ({ id }) => toJob(getJob(id)),
    'jobs.failures': ({ id, limit }) => {
      const job = getJob(id);
      const items = store.jobs.failedItems(id, limit ?? 1000).map(({ key, error }) => {
        const image = job.kind === 'analyze' ? store.images.locate(Number(key)) : undefined;
        // An mllm-audit item is a face: its file and face number read better than its id.
        const face = job.kind === 'mllm-audit' ? store.faces.summary(Number(key)) : undefined;
        const label = image?.relPath ?? (face ? `${face.relPath} · face ${face.idx + 1}` : key);
        return { key, label, error };
      });
      return { items };
    },
    'jobs.cancel': ({ id }) => {
      store.write(() => {
        const job = getJob(id);
        if (job.state === 'queued' || job.state === 'paused') store.jobs.setState(id, 'cancelled');
        else if (job.state === 'running') store.jobs.requestCancel(id);
      });
      deps.wakeJobs([id]);
      return toJob(getJob(id));
    },
    'jobs.pause': ({ id }) => {
      store.write(() => {
        const job = getJob(id);
        if (job.state !== 'queued' && job.state !== 'running') {
          throw new AppError('conflict', `job ${id} is ${job.state}; only queued or running jobs pause`);
        }
        store.jobs.transition(id, ['queued', 'running'], 'paused');
      });
      return toJob(getJob(id));
    },
    'jobs.resume': ({ id }) => {
      store.write(() => {
        const job = getJob(id);
        if (job.state !== 'paused' && job.state !== 'failed') {
          throw new AppError('conflict', `job ${id} is ${job.state}; only paused or failed jobs resume`);
        }
        store.jobs.transition(id, ['paused', 'failed'], job.planned ? 'running' : 'queued');
      });
      deps.wakeJobs([id]);
      return toJob(getJob(id));
    },
    'jobs.retry': ({ id }) => {
      store.write(() => {
        const job = getJob(id);
        if (job.state === 'done')
          throw new AppError(
            'conflict',
            `job ${id} is done; only failed, cancelled or unfinished jobs retry`,
          );
        store.jobs.retry(id);
      });
      deps.wakeJobs([id]);
      return toJob(getJob(id));
    },
    'jobs.report': ({ id }) => {
      getJob(id);
      return { report: store.annotations.jobReport(id) as JobReport | null };
    },
  };
}
