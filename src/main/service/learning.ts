// API handlers for learning from corrections: training jobs, reports, settings, review order, identities.
import type { IdentityResult, Job, LearningReport, LearningSettings, RankedFace } from '../../shared/api';
import { AppError } from '../../shared/errors';
import { cachedRanking, type RankEntry } from '../learning/ranking';
import type { StoredMetrics } from '../learning/train';
import { identityParams } from '../learning/identity-params';
import { toJob } from '../store/index';
import type { Handlers, ServiceContext } from '../service';

type LearningMethods =
  | 'learning.train'
  | 'learning.report'
  | 'learning.settings'
  | 'learning.next'
  | 'learning.ranking'
  | 'learning.identities';

export function learningHandlers(ctx: ServiceContext): Pick<Handlers, LearningMethods> {
  const { store, deps } = ctx;

  const getJob = (id: number): Job => {
    const job = store.jobs.get(id);
    if (!job) throw new AppError('not_found', `job ${id} not found`, { where: { field: 'id' } });
    return toJob(job);
  };

  /** One training run per dataset at a time: an unfinished one is returned instead of queueing another. */
  const startTraining = (datasetId: number, params: Record<string, unknown>): Job => {
    const jobId = store.write(() => {
      const active = store.jobs
        .list({ datasetId, limit: 50 })
        .find((j) => j.kind === 'train' && (j.state === 'queued' || j.state === 'running'));
      return active?.id ?? store.jobs.create('train', datasetId, params);
    });
    deps.wakeJobs([jobId]);
    return getJob(jobId);
  };

  const ranked = (entry: RankEntry): RankedFace | null => {
    const face = store.faces.summary(entry.faceId);
    if (!face) return null;
    const { imageWidth: _w, imageHeight: _h, ...summary } = face;
    return {
      face: summary,
      score: entry.score,
      uncertainty: entry.uncertainty,
      violations: entry.violations,
      unusual: entry.unusual,
    };
  };

  return {
    'learning.train': ({ datasetId, ...params }) => {
      ctx.getDataset(datasetId);
      return startTraining(datasetId, params);
    },

    'learning.report': ({ datasetId }): LearningReport => {
      ctx.getDataset(datasetId);
      const settings = store.learning.settings(datasetId);
      const model = store.learning.activeModel(datasetId);
      const metrics = model?.metrics as StoredMetrics | undefined;
      const ev = metrics?.evaluation ?? null;
      return {
        datasetId,
        settings,
        model:
          model && metrics
            ? {
                runId: model.runId,
                jobId: model.jobId,
                embeddingModel: model.embeddingModel,
                lambda: model.lambda,
                keys: model.keys,
                faces: metrics.faces,
                createdAt: model.createdAt,
                seconds: metrics.seconds,
              }
            : null,
        evaluation: ev && {
          folds: ev.folds,
          faces: ev.faces,
          attributes: ev.attributes,
          meanBalancedAccuracy: ev.meanBalancedAccuracy,
          violationRate: ev.violationRate,
        },
        rules: metrics?.rules ?? { used: [], skipped: [] },
        humanLabelsSinceTraining: store.learning.humanLabelCount(datasetId) - (model?.humanLabels ?? 0),
      };
    },

    'learning.settings': ({ datasetId, ...change }): LearningSettings => {
      ctx.getDataset(datasetId);
      return store.write(() => {
        const next = { ...store.learning.settings(datasetId) };
        if (change.retrainEvery !== undefined) next.retrainEvery = change.retrainEvery;
        if (change.lambda !== undefined) next.lambda = change.lambda;
        if (change.embeddingModel !== undefined) next.embeddingModel = change.embeddingModel;
        if (change.decode !== undefined) next.decode = change.decode;
        store.learning.setSettings(datasetId, next);
        return next;
      });
    },

    'learning.next': ({ datasetId, exclude }) => {
      ctx.getDataset(datasetId);
      // The review loop calls this after each edit, so this is where `retrainEvery` new human labels trigger.
      const { retrainEvery } = store.learning.settings(datasetId);
      let retrainJob: Job | null = null;
      if (retrainEvery !== null) {
        const since =
          store.learning.humanLabelCount(datasetId) -
          (store.learning.activeModel(datasetId)?.humanLabels ?? 0);
        if (since >= retrainEvery) retrainJob = startTraining(datasetId, {});
      }
      const skip = new Set(exclude ?? []);
      const reviewed = store.learning.reviewedFaces(datasetId);
      const best = cachedRanking(store, datasetId).find(
        (e) => !reviewed.has(e.faceId) && !skip.has(e.faceId),
      );
      return { item: best ? ranked(best) : null, retrainJob };
    },

    'learning.ranking': ({ datasetId, cursor, limit }) => {
      ctx.getDataset(datasetId);
      const all = cachedRanking(store, datasetId);
      const from = cursor ?? 0;
      const size = limit ?? 200;
      const items = all
        .slice(from, from + size)
        .map(ranked)
        .filter((r): r is RankedFace => r !== null);
      return { items, total: all.length, nextCursor: from + size < all.length ? from + size : null };
    },

    'learning.identities': ({ datasetId, threshold, duplicateThreshold, refresh }): IdentityResult => {
      ctx.getDataset(datasetId);
      // O(n² d) over the embeddings: computed by the `identities` job in the job process, never here.
      const want = identityParams({ threshold, duplicateThreshold });
      const stored = store.identities.get(datasetId);
      const state = !stored
        ? 'missing'
        : stored.stamp === store.identities.stamp(datasetId) &&
            stored.threshold === want.threshold &&
            stored.duplicateThreshold === want.duplicateThreshold
          ? 'fresh'
          : 'stale';
      let job: Job | null = null;
      if (state !== 'fresh' || refresh) {
        const jobId = store.write(() => {
          const active = store.jobs
            .list({ datasetId, limit: 50 })
            .find((j) => j.kind === 'identities' && (j.state === 'queued' || j.state === 'running'));
          return active?.id ?? store.jobs.create('identities', datasetId, want);
        });
        deps.wakeJobs([jobId]);
        job = getJob(jobId);
      }
      return {
        report: stored?.report ?? null,
        computedAt: stored?.computedAt ?? null,
        state,
        job,
      };
    },
  };
}
