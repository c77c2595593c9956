// datasets.*, images.*, exports.start: folders become datasets, imports, annotation imports, analysis, exports.
import { realpath, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { AppError } from '../../shared/errors';
import { checkedParams } from '../jobs/params';
import { findReleases } from '../datasets/formats/release';
import { toJob } from '../store/index';
import type { Handlers, ServiceContext } from './context';

type DatasetMethods =
  | 'datasets.create'
  | 'datasets.list'
  | 'datasets.get'
  | 'datasets.rescan'
  | 'datasets.setFaceCrops'
  | 'datasets.releases'
  | 'datasets.importAnnotations'
  | 'datasets.analyze'
  | 'images.list'
  | 'images.analyze'
  | 'exports.start';

export function datasetHandlers(ctx: ServiceContext): Pick<Handlers, DatasetMethods> {
  const { store, deps, getDataset, getJob } = ctx;
  /** One import at a time per dataset: an unfinished one is returned instead of queueing another. */
  const startImport = (datasetId: number) => {
    const jobId = store.write(() => {
      const active = store.jobs
        .list({ datasetId, limit: 20 })
        .find((j) => j.kind === 'import' && (j.state === 'queued' || j.state === 'running'));
      return active?.id ?? store.jobs.create('import', datasetId, {});
    });
    deps.wakeJobs([jobId]);
    return toJob(getJob(jobId));
  };
  return {
    'datasets.create': async ({ root, name }) => {
      let real: string;
      try {
        real = await realpath(root);
        if (!(await stat(real)).isDirectory()) throw new Error('not a folder');
      } catch (err) {
        const why =
          (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (err as Error).message;
        throw new AppError('io_error', `cannot open ${root}: ${why}`, {
          where: { field: 'root', file: root },
        });
      }
      const id = store.write(
        () =>
          store.datasets.findByRoot(real)?.id ??
          store.datasets.insert({ name: name ?? basename(real), root: real, format: 'folder' }),
      );
      const job = startImport(id);
      return { dataset: getDataset(id), job };
    },
    'datasets.list': () => ({ items: store.datasets.list() }),
    'datasets.get': ({ id }) => getDataset(id),
    'datasets.rescan': ({ id }) => {
      getDataset(id);
      return startImport(id);
    },
    'datasets.setFaceCrops': ({ id, faceCrops }) => {
      getDataset(id);
      store.write(() => store.datasets.setFaceCrops(id, faceCrops));
      return getDataset(id);
    },
    'images.list': (q) => {
      getDataset(q.datasetId);
      return store.images.page(q);
    },
    'datasets.releases': ({ datasetId }) => ({ items: findReleases(getDataset(datasetId).root) }),
    'datasets.importAnnotations': ({ datasetId, format, annotations, maxErrors, map }) => {
      const ds = getDataset(datasetId);
      // UTKFace keeps its labels in the image names: the images folder is its annotation source.
      const source = annotations ?? (format === 'utkface' ? ds.root : undefined);
      if (!source) {
        throw new AppError('invalid_request', `${format}: an annotations file or folder is required`, {
          where: { field: 'annotations' },
        });
      }
      const params = {
        format,
        annotations: resolve(source),
        ...(maxErrors ? { maxErrors } : {}),
        ...(map ? { map } : {}),
      };
      const jobId = store.write(() =>
        store.jobs.create('annotations', datasetId, checkedParams('annotations', params)),
      );
      deps.wakeJobs([jobId]);
      return toJob(getJob(jobId));
    },
    'exports.start': ({ datasetId, out, ...opts }) => {
      getDataset(datasetId);
      const params = { ...opts, out: resolve(out), appVersion: deps.info.version };
      const jobId = store.write(() =>
        store.jobs.create('export', datasetId, checkedParams('export', params)),
      );
      deps.wakeJobs([jobId]);
      return toJob(getJob(jobId));
    },
    'datasets.analyze': ({ datasetId, force, ep, concurrency, batchSize }) => {
      getDataset(datasetId);
      const jobId = store.write(() => {
        const active = store.jobs
          .list({ datasetId, limit: 20 })
          .find(
            (j) =>
              j.kind === 'analyze' && !j.params.imageIds && (j.state === 'queued' || j.state === 'running'),
          );
        const params = {
          force: force ?? false,
          ep: ep ?? 'auto',
          ...(concurrency ? { concurrency } : {}),
          ...(batchSize ? { batchSize } : {}),
        };
        return active?.id ?? store.jobs.create('analyze', datasetId, checkedParams('analyze', params));
      });
      deps.wakeJobs([jobId]);
      return toJob(getJob(jobId));
    },
    'images.analyze': ({ imageId, ep }) => {
      const image = store.images.locate(imageId);
      if (!image)
        throw new AppError('not_found', `image ${imageId} not found`, { where: { field: 'imageId' } });
      if (image.status !== 'ok') {
        throw new AppError('conflict', `image ${image.relPath} could not be decoded; nothing to analyse`);
      }
      const jobId = store.write(() =>
        store.jobs.create(
          'analyze',
          image.datasetId,
          checkedParams('analyze', { imageIds: [imageId], force: true, ep: ep ?? 'auto' }),
        ),
      );
      deps.wakeJobs([jobId]);
      return toJob(getJob(jobId));
    },
  };
}
