// The `mllm-audit` job (issue #31): asks a vision LLM the question bank about each face, one item per face,
// through one queue per job (concurrency, requests per minute), answering from the cache what was asked before.
import { createHash } from 'node:crypto';
import PQueue from 'p-queue';
import { AppError } from '../../../shared/errors';
import { askChat } from '../../mllm/client';
import { faceImages } from '../../mllm/image';
import { questionsFor, requestBody, type Question } from '../../mllm/questions';
import type { JobRecord, MllmAnswerInput, MllmFaceTarget } from '../../store/index';
import { jobParams, type JobParams } from '../params';
import type { JobContext, JobKindHandler } from '../types';

type Params = JobParams<'mllm-audit'>;

/** One request queue per running audit: every face in flight shares its concurrency and rate. */
const queues = new Map<number, PQueue>();

function queueOf(jobId: number, p: Params): PQueue {
  let q = queues.get(jobId);
  if (!q) {
    // A runner runs one job at a time: an earlier audit's queue is idle for good.
    queues.clear();
    const { concurrency, rpm } = p.endpoint;
    q = new PQueue({ concurrency, ...(rpm > 0 ? { intervalCap: rpm, interval: 60_000 } : {}) });
    queues.set(jobId, q);
  }
  return q;
}

/**
 * The cache key: the same question (its template version, key and wording) about the same pixels of the same
 * box at the same size, to the same model on the same server.
 */
export function cacheKey(p: Params, q: Question, sha256: string, box: MllmFaceTarget['box']): string {
  const b = [box.x, box.y, box.w, box.h].map((v) => Math.round(v * 100) / 100);
  const e = p.endpoint;
  return createHash('sha256')
    .update(
      JSON.stringify([
        e.baseUrl,
        e.model,
        q.template,
        q.key,
        q.text,
        e.structured,
        e.imageSize,
        e.wholeImage === true,
        sha256,
        b,
      ]),
    )
    .digest('hex');
}

function datasetOf(job: JobRecord): number {
  if (job.datasetId === null) throw new AppError('invalid_request', 'mllm-audit needs a dataset');
  return job.datasetId;
}

/** A cancel asked for while a face's questions are queued: the rest of them are not sent. */
function cancelled(job: JobRecord, ctx: JobContext): boolean {
  return ctx.signal.aborted || ctx.store.jobs.get(job.id)?.cancelRequested === true;
}

export const mllmAuditKind: JobKindHandler = {
  async plan(job, ctx) {
    const p = jobParams('mllm-audit', job);
    const ds = datasetOf(job);
    const ids = p.faceIds
      ? ctx.store.mllm.faceIdsIn(ds, p.faceIds)
      : p.scope === 'all'
        ? ctx.store.faces.idsOfDataset(ds)
        : ctx.store.mllm.reviewedFaceIds(ds);
    const questions = questionsFor(p.tasks, p.raceSet).length;
    return { keys: ids.map(String), summary: { questionsPerFace: questions } };
  },

  async process(job, item, ctx) {
    const p = jobParams('mllm-audit', job);
    const { store } = ctx;
    const faceId = Number(item.key);
    const target = store.mllm.target(faceId);
    if (!target) return { counter: 'skipped', error: `face ${faceId} no longer exists` };
    if (target.status !== 'ok') return { counter: 'errors', error: `${target.relPath} is not readable` };
    const questions = questionsFor(p.tasks, p.raceSet);
    const apiKey = ctx.secret?.(p.endpoint.id) ?? null;
    const queue = queueOf(job.id, p);
    let image: Promise<string[]> | null = null;
    const crop = () => (image ??= faceImages(target, p.endpoint.imageSize, p.endpoint.wholeImage === true));
    const answers: MllmAnswerInput[] = [];
    const fresh: { key: string; raw: string; latencyMs: number }[] = [];
    const counts = { questions: 0, cached: 0, requests: 0, unparsed: 0, failedQuestions: 0 };
    let skipped = 0;
    let firstError: string | null = null;

    const ask = async (q: Question): Promise<void> => {
      const key = target.sha256 ? cacheKey(p, q, target.sha256, target.box) : null;
      const hit = key ? store.mllm.cached(key) : undefined;
      let raw: string;
      let latencyMs: number;
      if (hit) {
        ({ raw, latencyMs } = hit);
        counts.cached++;
      } else {
        if (cancelled(job, ctx)) {
          skipped++;
          return;
        }
        const body = requestBody(q, p.endpoint.model, await crop(), p.endpoint.structured);
        const r = await askChat({
          baseUrl: p.endpoint.baseUrl,
          apiKey,
          body,
          timeoutMs: p.endpoint.timeoutMs,
          retries: p.retries,
          signal: ctx.signal,
        });
        counts.requests += r.attempts;
        if (!r.ok) {
          counts.failedQuestions++;
          firstError ??= `${q.key}: ${r.error}`;
          answers.push(row(q, null, 'error', r.error, null, false));
          return;
        }
        ({ text: raw, latencyMs } = r);
        if (key) fresh.push({ key, raw, latencyMs });
      }
      counts.questions++;
      const value = q.parse(raw);
      if (value === null) counts.unparsed++;
      answers.push(row(q, value, value === null ? 'unparsed' : 'ok', raw, latencyMs, hit !== undefined));
    };
    const row = (
      q: Question,
      value: string | null,
      status: MllmAnswerInput['status'],
      raw: string | null,
      latencyMs: number | null,
      cached: boolean,
    ): MllmAnswerInput => ({
      faceId,
      jobId: job.id,
      endpoint: p.endpoint.id,
      model: p.endpoint.model,
      key: q.key,
      template: q.template,
      value,
      status,
      raw,
      latencyMs,
      cached,
    });

    const settled = await Promise.allSettled(questions.map((q) => queue.add(() => ask(q))));
    const thrown = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    // A shutdown aborts the requests: the item goes back to the pool. Anything else is this face's image
    // (moved, truncated): the face fails, the audit goes on.
    const stop = thrown.find((e) => e instanceof AppError && e.code === 'cancelled');
    if (stop) throw stop;
    const unreadable = thrown[0] ? `cannot read ${target.relPath}: ${(thrown[0] as Error).message}` : null;
    const error =
      unreadable ??
      (skipped > 0
        ? `cancelled before ${skipped} of ${questions.length} questions were asked`
        : firstError
          ? `${counts.failedQuestions} of ${questions.length} questions failed (${firstError})`
          : undefined);
    return {
      counter: error ? 'errors' : 'faces',
      ...(error ? { error } : {}),
      commit: () => {
        for (const c of fresh) store.mllm.cache(c.key, c.raw, c.latencyMs);
        for (const a of answers) store.mllm.put(a);
        for (const [k, n] of Object.entries(counts)) if (n > 0) store.jobs.addToSummary(job.id, k, n);
      },
    };
  },
};
