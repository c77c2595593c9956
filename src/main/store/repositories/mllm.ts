// Vision-LLM answers and the request cache (issue #31): what the `mllm-audit` job writes and the report reads.
import type { Db as Database } from '../db-types';
import type { MllmAnswer } from '../../../shared/api';
import { jsonList } from '../db-types';

export interface MllmAnswerInput {
  faceId: number;
  jobId: number | null;
  endpoint: string;
  model: string;
  key: string;
  template: string;
  value: string | null;
  status: MllmAnswer['status'];
  raw: string | null;
  latencyMs: number | null;
  cached: boolean;
}

/** An answer with its face and the face's verified (reviewed) effective label of the same key. */
export interface MllmAuditRow {
  faceId: number;
  model: string;
  key: string;
  value: string | null;
  status: MllmAnswer['status'];
  latencyMs: number | null;
  cached: boolean;
  /** The effective label (human, else import) of a reviewed face; null when not reviewed or unlabelled. */
  label: string | null;
  /** The effective `age_bucket` label of a reviewed face (age answers are compared by bucket). */
  bucket: string | null;
}

/** A face to ask about: its box and the image it sits in. */
export interface MllmFaceTarget {
  faceId: number;
  box: { x: number; y: number; w: number; h: number };
  root: string;
  relPath: string;
  sha256: string | null;
  status: 'ok' | 'error';
}

const cols = `m.face_id AS faceId, m.model, m.endpoint, m.source, m.key, m.template, m.value, m.status, m.raw,
  m.latency_ms AS latencyMs, m.cached, m.created_at AS createdAt`;
const effective = (key: string) => `coalesce(
  (SELECT value FROM labels WHERE face_id = m.face_id AND key = ${key} AND source = 'human'),
  (SELECT value FROM labels WHERE face_id = m.face_id AND key = ${key} AND source = 'import'))`;

export function createMllmRepository(db: Database) {
  const upsert =
    db.prepare(`INSERT INTO mllm_answers (face_id, job_id, endpoint, model, source, key, template,
      value, status, raw, latency_ms, cached, created_at)
    VALUES (@faceId, @jobId, @endpoint, @model, 'mllm:' || @model, @key, @template, @value, @status, @raw,
      @latencyMs, @cached, @at)
    ON CONFLICT (face_id, model, key) DO UPDATE SET job_id = excluded.job_id, endpoint = excluded.endpoint,
      template = excluded.template, value = excluded.value, status = excluded.status, raw = excluded.raw,
      latency_ms = excluded.latency_ms, cached = excluded.cached, created_at = excluded.created_at`);
  const forFace = db.prepare(
    `SELECT ${cols} FROM mllm_answers m WHERE m.face_id = ? ORDER BY m.model, m.key`,
  );
  const audit = db.prepare(`SELECT m.face_id AS faceId, m.model, m.key, m.value, m.status,
      m.latency_ms AS latencyMs, m.cached,
      CASE WHEN r.status = 'reviewed' THEN ${effective('m.key')} END AS label,
      CASE WHEN r.status = 'reviewed' THEN ${effective("'age_bucket'")} END AS bucket
    FROM mllm_answers m JOIN faces f ON f.id = m.face_id JOIN images i ON i.id = f.image_id
    LEFT JOIN reviews r ON r.face_id = m.face_id
    WHERE i.dataset_id = ? ORDER BY m.model, m.face_id, m.key`);
  const reviewedIds = db
    .prepare(
      `SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id JOIN reviews r ON r.face_id = f.id
      WHERE i.dataset_id = ? AND r.status = 'reviewed' ORDER BY f.id`,
    )
    .pluck();
  const target = db.prepare(`SELECT f.id AS faceId, f.x, f.y, f.w, f.h, d.root, i.rel_path AS relPath,
      i.sha256, i.status
    FROM faces f JOIN images i ON i.id = f.image_id JOIN datasets d ON d.id = i.dataset_id WHERE f.id = ?`);
  const inDataset = db
    .prepare(
      `SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id
      WHERE i.dataset_id = ? AND f.id IN ${jsonList(db, '?', 'int')} ORDER BY f.id`,
    )
    .pluck();
  const fairface = db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM labels l JOIN faces f ON f.id = l.face_id JOIN images i ON i.id = f.image_id
      WHERE i.dataset_id = ? AND l.key = 'race' AND l.value IN ${jsonList(db, '?', 'text')})`,
    )
    .pluck();
  const parsed = db.prepare(`SELECT m.face_id AS faceId, m.key, m.value FROM mllm_answers m
    JOIN faces f ON f.id = m.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? AND m.model = ? AND m.status = 'ok' ORDER BY m.face_id`);
  const allParsed = db.prepare(`SELECT m.face_id AS faceId, m.model, m.key, m.value FROM mllm_answers m
    JOIN faces f ON f.id = m.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? AND m.status = 'ok' ORDER BY m.face_id, m.model, m.key`);
  const cacheGet = db.prepare(`SELECT raw, latency_ms AS latencyMs FROM mllm_cache WHERE key = ?`);
  const cachePut = db.prepare(`INSERT INTO mllm_cache (key, raw, latency_ms, created_at)
    VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET raw = excluded.raw, latency_ms = excluded.latency_ms,
      created_at = excluded.created_at`);
  return {
    put(a: MllmAnswerInput, at = Date.now()): void {
      upsert.run({ ...a, cached: a.cached ? 1 : 0, at });
    },
    forFace(faceId: number): MllmAnswer[] {
      return (forFace.all(faceId) as (MllmAnswer & { cached: number })[]).map(
        ({ cached: _cached, ...a }) => a,
      );
    },
    /** Every answer of a dataset's faces with the verified labels beside them, by model then face. */
    auditRows(datasetId: number): MllmAuditRow[] {
      return (audit.all(datasetId) as (Omit<MllmAuditRow, 'cached'> & { cached: number })[]).map((r) => ({
        ...r,
        cached: r.cached === 1,
      }));
    },
    reviewedFaceIds(datasetId: number): number[] {
      return reviewedIds.all(datasetId) as number[];
    },
    /** The given face ids that belong to the dataset, in id order. */
    faceIdsIn(datasetId: number, ids: readonly number[]): number[] {
      return inDataset.all(datasetId, JSON.stringify(ids)) as number[];
    },
    target(faceId: number): MllmFaceTarget | undefined {
      const r = target.get(faceId) as
        (Omit<MllmFaceTarget, 'box'> & { x: number; y: number; w: number; h: number }) | undefined;
      if (!r) return undefined;
      const { x, y, w, h, ...rest } = r;
      return { ...rest, box: { x, y, w, h } };
    },
    /** Whether any race label of the dataset is one only FairFace's vocabulary has. */
    hasRaceLabelIn(datasetId: number, values: readonly string[]): boolean {
      return fairface.get(datasetId, JSON.stringify(values)) === 1;
    },
    /** One model's parsed answers per face (key -> value as text), for exports. */
    parsedValues(datasetId: number, model: string): Map<number, Record<string, string>> {
      const out = new Map<number, Record<string, string>>();
      for (const r of parsed.iterate(datasetId, model) as Iterable<{
        faceId: number;
        key: string;
        value: string;
      }>) {
        const v = out.get(r.faceId) ?? {};
        v[r.key] = r.value;
        out.set(r.faceId, v);
      }
      return out;
    },
    /** Every model's parsed answers about the dataset's faces (label-issue evidence). */
    *parsedAnswers(
      datasetId: number,
    ): Generator<{ faceId: number; model: string; key: string; value: string }> {
      yield* allParsed.iterate(datasetId) as Iterable<{
        faceId: number;
        model: string;
        key: string;
        value: string;
      }>;
    },
    cached(key: string): { raw: string; latencyMs: number } | undefined {
      return cacheGet.get(key) as { raw: string; latencyMs: number } | undefined;
    },
    cache(key: string, raw: string, latencyMs: number, at = Date.now()): void {
      cachePut.run(key, raw, latencyMs, at);
    },
  };
}
export type MllmRepository = ReturnType<typeof createMllmRepository>;
