// API handlers for learning from corrections: training jobs, reports, settings, review order, identities.
import type {
  IdentityResult,
  Job,
  LabelIssue,
  LearningReport,
  LearningSettings,
  RankedFace,
} from '../../shared/api';
import { ageToBucket } from '../../shared/taxonomy';
import { AppError } from '../../shared/errors';
import { cachedRanking, type RankEntry } from '../learning/ranking';
import type { StoredMetrics } from '../learning/train';
import { identityParams } from '../learning/identity-params';
import { toJob } from '../store/index';
import type { LabelIssueRow } from '../store/repositories/learning';
import type { Handlers, ServiceContext } from './context';
import { checkedParams } from '../jobs/params';
import { blockedFaces, CLAIM_LEASE_MS } from '../review/team';

type LearningMethods =
  | 'learning.train'
  | 'learning.report'
  | 'learning.settings'
  | 'learning.next'
  | 'learning.ranking'
  | 'learning.identities'
  | 'learning.suspects'
  | 'learning.noise';

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
      return active?.id ?? store.jobs.create('train', datasetId, checkedParams('train', params));
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

  /** The face's effective label of `key` now (human, else import; age_bucket from age), as issues spell it. */
  const currentLabel = (faceId: number, key: string): string | null => {
    const rows = store.labels.forFace(faceId);
    const pick = (k: string) =>
      rows.find((r) => r.key === k && r.source === 'human') ?? rows.find((r) => r.key === k);
    const row = pick(key);
    if (row) return String(row.value);
    if (key === 'age_bucket') {
      const age = pick('age');
      if (age && Number.isFinite(Number(age.value))) return ageToBucket(Number(age.value));
    }
    return null;
  };

  const issueOf = (r: LabelIssueRow): LabelIssue | null => {
    const face = store.faces.summary(r.faceId);
    if (!face) return null;
    return {
      faceId: r.faceId,
      relPath: face.relPath,
      key: r.key,
      label: r.label,
      suggested: r.suggested,
      pLabel: r.pLabel,
      pSuggested: r.pSuggested,
      threshold: r.threshold,
      suspect: r.suspect,
      score: r.score,
      evidence: r.evidence as LabelIssue['evidence'],
      stale: currentLabel(r.faceId, r.key) !== r.label,
      runId: r.runId,
    };
  };

  /** The first unreviewed, not excluded face in the likely-wrong order with a suspect label still as it was. */
  const nextWrong = (
    datasetId: number,
    skip: Set<number>,
    reviewed: ReadonlySet<number>,
  ): RankedFace | null => {
    for (const faceId of store.learning.wrongOrder(datasetId)) {
      if (reviewed.has(faceId) || skip.has(faceId)) continue;
      const issues = store.learning.labelIssues({ datasetId, faceId, suspects: true, limit: 50 }).items;
      const top = issues.map(issueOf).find((i): i is LabelIssue => i !== null && !i.stale);
      // A face whose suspect labels were all changed since (or that has none) is done with.
      if (!top) continue;
      const entry = cachedRanking(store, datasetId).find((e) => e.faceId === faceId);
      const base = ranked(entry ?? { faceId, score: 0, uncertainty: 0, violations: 0, unusual: 0 });
      return base && { ...base, labelScore: top.score, issue: top };
    }
    return null;
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
          // Models trained before the field existed: a constant answer's balanced accuracy is 0.5.
          attributes: ev.attributes.map((a) => ({
            ...a,
            majorityBalancedAccuracy: a.majorityBalancedAccuracy ?? 0.5,
          })),
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

    'learning.next': ({ datasetId, exclude, order }) => {
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
      const use = order ?? (store.learning.hasLabelIssues(datasetId) ? 'wrong' : 'useful');
      const pick = (reviewed: ReadonlySet<number>): RankedFace | null => {
        // Likely wrong labels first; past the last doubted face the useful order goes on.
        const wrong = use === 'wrong' ? nextWrong(datasetId, skip, reviewed) : null;
        if (wrong) return wrong;
        const best = cachedRanking(store, datasetId).find(
          (e) => !reviewed.has(e.faceId) && !skip.has(e.faceId),
        );
        return best ? ranked(best) : null;
      };
      const caller = ctx.caller();
      if (!caller) return { item: pick(store.learning.reviewedFaces(datasetId)), retrainJob, order: use };
      // Team mode: hand out a face no one else holds (a claim with a lease), or a doubly-reviewed face's second
      // turn; choosing and claiming happen under the write lock, so two reviewers never get the same face.
      const item = store.write(() => {
        const now = Date.now();
        const blocked = blockedFaces(store, datasetId, caller, store.learning.reviewedFaces(datasetId), now);
        const next = pick(blocked);
        if (next) store.team.claim(caller.id, datasetId, next.face.id, now + CLAIM_LEASE_MS);
        return next;
      });
      // Other reviewers' screens of this face refetch it and show who holds it now.
      if (item) ctx.facesChanged([item.face.id], 'review', caller.name);
      return { item, retrainJob, order: use };
    },

    'learning.suspects': ({ datasetId, faceId, key, suspects, cursor, limit }) => {
      ctx.getDataset(datasetId);
      const offset = cursor ?? 0;
      const size = limit ?? 100;
      const page = store.learning.labelIssues({ datasetId, faceId, key, suspects, offset, limit: size });
      return {
        items: page.items.map(issueOf).filter((i): i is LabelIssue => i !== null),
        total: page.total,
        nextCursor: offset + size < page.total ? offset + size : null,
      };
    },

    'learning.noise': ({ datasetId }) => {
      ctx.getDataset(datasetId);
      const model = store.learning.activeModel(datasetId);
      const metrics = model?.metrics as StoredMetrics | undefined;
      return { runId: model?.runId ?? null, keys: metrics?.noise ?? [] };
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
          return active?.id ?? store.jobs.create('identities', datasetId, checkedParams('identities', want));
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
