// The face gallery's queries: filtered, sorted, randomly accessible pages, facet counts and library counters.
import type { Database, Statement } from 'better-sqlite3';
import type { DatasetStats, FaceFacets, FaceQuery, FaceSummary } from '../../../shared/api';

/** A query plus what main computed for it (co-occurrence scores live outside SQL). */
export interface GalleryQuery extends FaceQuery {
  /** JSON object {faceId: score} of faces with an unusual-combination score. */
  unusualScores?: string;
}

type Dim = 'review' | 'violations' | 'severity' | 'rule' | 'split' | 'attrValue' | 'disagree' | 'unusual';

// Which prediction of a task the gallery reads: a learned head first, then the model, a derivation, an import.
// One lookup per source in precedence order (no per-face sort): the first source that has one wins.
const bestPrediction = `coalesce(${['learned', 'model', 'derived', 'import']
  .map(
    (src) =>
      `(SELECT max(id) FROM predictions WHERE face_id = f.id AND task = @attrKey AND source = '${src}')`,
  )
  .join(', ')})`;
const labelValue = `coalesce(lh.value, li.value)`;
// Predictions spell a class as {"label": …} (gender, race, expression) or {"value": ±1} (CelebA).
const predValue = `CAST(coalesce(json_extract(pp.value, '$.label'), json_extract(pp.value, '$.value')) AS TEXT)`;
// Confidence of the predicted value: max(p, 1 - p) for CelebA's P(+1), p or probs[label] for classes.
const predConf = `CASE WHEN json_type(pp.value, '$.value') IS NOT NULL
    THEN max(json_extract(pp.value, '$.p'), 1 - json_extract(pp.value, '$.p'))
  WHEN json_type(pp.value, '$.probs') IS NOT NULL
    THEN json_extract(pp.value, '$.probs."' || json_extract(pp.value, '$.label') || '"')
  ELSE json_extract(pp.value, '$.p') END`;
const labelIsOn = (k: string) => `coalesce(
  (SELECT value FROM labels WHERE face_id = f.id AND key = @${k} AND source = 'human'),
  (SELECT value FROM labels WHERE face_id = f.id AND key = @${k} AND source = 'import')) = '1'`;
// A CelebA prediction is on at value +1 (the analyser thresholds P(+1) when it stores the value).
const predictionIsOn = (k: string) => `EXISTS (SELECT 1 FROM predictions WHERE face_id = f.id AND task = @${k}
  AND json_extract(value, '$.value') = 1)`;
const violationCount = `(SELECT count(*) FROM violations v WHERE v.face_id = f.id)`;

const summaryCols = `f.id, f.image_id AS imageId, i.dataset_id AS datasetId, i.rel_path AS relPath, f.idx,
  f.x, f.y, f.w, f.h, f.det_score AS detScore, f.source, coalesce(r.status, 'unreviewed') AS review,
  ${violationCount} AS violations,
  (SELECT count(*) FROM violations v JOIN rules ru ON ru.id = v.rule_id
    WHERE v.face_id = f.id AND ru.severity = 'error') AS errors,
  i.width AS imageWidth, i.height AS imageHeight`;

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * FROM and WHERE of a query, leaving out one dimension (for that dimension's facet counts). `uses` is the rest
 * of the statement (columns, grouping, order): the label / prediction joins are added only when SQL reads them.
 */
function clauses(q: GalleryQuery, skip?: Dim, uses = ''): { from: string; where: string } {
  const w = ['i.dataset_id = @datasetId'];
  const attr = q.attr;
  if (q.imageId !== undefined) w.push('f.image_id = @imageId');
  if (q.review !== undefined && skip !== 'review') w.push(`coalesce(r.status, 'unreviewed') = @review`);
  if (q.hasViolations !== undefined && skip !== 'violations') {
    w.push(`${q.hasViolations ? '' : 'NOT '}EXISTS (SELECT 1 FROM violations v WHERE v.face_id = f.id)`);
  }
  if (q.ruleKey !== undefined && skip !== 'rule') {
    w.push(`EXISTS (SELECT 1 FROM violations v JOIN rules ru ON ru.id = v.rule_id
      WHERE v.face_id = f.id AND ru.key = @ruleKey)`);
  }
  if (q.severity !== undefined && skip !== 'severity') {
    w.push(`EXISTS (SELECT 1 FROM violations v JOIN rules ru ON ru.id = v.rule_id
      WHERE v.face_id = f.id AND ru.severity = @severity)`);
  }
  if (q.split !== undefined && skip !== 'split') w.push(`coalesce(i.split, '') = @split`);
  if (q.search) w.push(`i.rel_path LIKE @search ESCAPE '\\'`);
  if (attr?.value !== undefined && skip !== 'attrValue') {
    const expr = attr.source === 'prediction' ? predValue : labelValue;
    w.push(attr.value === '?' ? `${expr} IS NULL` : `${expr} = @attrValue`);
  }
  if (attr?.disagree && skip !== 'disagree') {
    w.push(`${labelValue} IS NOT NULL AND ${predValue} IS NOT NULL AND ${labelValue} != ${predValue}`);
  }
  if (attr?.confMin !== undefined) w.push(`${predConf} >= @confMin`);
  if (attr?.confMax !== undefined) w.push(`${predConf} < @confMax`);
  if (q.pair) {
    for (const k of ['pairA', 'pairB']) w.push(q.pair.source === 'labels' ? labelIsOn(k) : predictionIsOn(k));
  }
  if (q.unusualBelow !== undefined && q.unusualScores !== undefined && skip !== 'unusual') {
    w.push('u.score < @unusualBelow');
  }
  const where = w.join(' AND ');
  const all = where + uses;
  // In id order, walking faces by primary key and stopping at LIMIT beats joining from the dataset's images
  // and sorting every face of it (SQLite's own choice): CROSS JOIN pins faces as the outer loop.
  const join = (q.sort ?? 'id') === 'id' ? 'CROSS JOIN' : 'JOIN';
  let from = `FROM faces f ${join} images i ON i.id = f.image_id LEFT JOIN reviews r ON r.face_id = f.id`;
  if (/\bl[hi]\./.test(all)) {
    from += ` LEFT JOIN labels lh ON lh.face_id = f.id AND lh.key = @attrKey AND lh.source = 'human'
      LEFT JOIN labels li ON li.face_id = f.id AND li.key = @attrKey AND li.source = 'import'`;
  }
  // face_id and task first, so SQLite walks the (face_id, task) index and checks the chosen id on 1–2 rows.
  if (/\bpp\./.test(all)) {
    from += ` LEFT JOIN predictions pp ON pp.face_id = f.id AND pp.task = @attrKey AND pp.id = ${bestPrediction}`;
  }
  if (/\bu\./.test(all)) {
    from += ` LEFT JOIN (SELECT CAST(key AS INTEGER) AS faceId, value AS score FROM json_each(@unusualScores))
      u ON u.faceId = f.id`;
  }
  return { from, where };
}

function orderBy(q: GalleryQuery): string {
  const dir = q.desc ? 'DESC' : 'ASC';
  switch (q.sort ?? 'id') {
    case 'file':
      return `i.rel_path ${dir}, f.idx ${dir}, f.id`;
    case 'violations':
      // Most violations first unless asked otherwise: that is what a reviewer sorts by.
      return `${violationCount} ${q.desc === false ? 'ASC' : 'DESC'}, f.id`;
    case 'confidence':
      return q.attr ? `${predConf} ${dir} NULLS LAST, f.id` : 'f.id';
    case 'unusual':
      return q.unusualScores !== undefined ? `u.score ${dir} NULLS LAST, f.id` : 'f.id';
    default:
      return `f.id ${dir}`;
  }
}

function params(q: GalleryQuery): Record<string, unknown> {
  return {
    datasetId: q.datasetId,
    imageId: q.imageId ?? null,
    review: q.review ?? null,
    ruleKey: q.ruleKey ?? null,
    severity: q.severity ?? null,
    split: q.split ?? null,
    search: q.search ? `%${escapeLike(q.search)}%` : null,
    attrKey: q.attr?.key ?? null,
    attrValue: q.attr?.value ?? null,
    confMin: q.attr?.confMin ?? null,
    confMax: q.attr?.confMax ?? null,
    pairA: q.pair?.keys[0] ?? null,
    pairB: q.pair?.keys[1] ?? null,
    unusualScores: q.unusualScores ?? null,
    unusualBelow: q.unusualBelow ?? null,
  };
}

/** Binds only the parameters a statement names (better-sqlite3 refuses missing ones, not extra ones). */
function bind(sql: string, all: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) if (sql.includes(`@${k}`)) out[k] = v;
  return out;
}

type Row = Omit<FaceSummary, 'box'> & { x: number; y: number; w: number; h: number };

export function createGalleryRepository(db: Database) {
  const cache = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let st = cache.get(sql);
    if (!st) {
      st = db.prepare(sql);
      // Filters change one at a time; a few dozen shapes cover a session.
      if (cache.size > 200) cache.clear();
      cache.set(sql, st);
    }
    return st;
  };
  const run = (sql: string, q: GalleryQuery) => ({ st: prepare(sql), args: bind(sql, params(q)) });
  const count = (q: GalleryQuery, skip?: Dim, extra = ''): number => {
    const { from, where } = clauses(q, skip);
    const { st, args } = run(`SELECT count(*) ${from} WHERE ${where}${extra}`, q);
    return st.pluck().get(args) as number;
  };
  const grouped = (q: GalleryQuery, skip: Dim, key: string, join = ''): Record<string, number> => {
    const { from, where } = clauses(q, skip, key);
    // Only the violation join repeats a face; DISTINCT costs a temp b-tree, so it is used only there.
    const n = join ? 'count(DISTINCT f.id)' : 'count(*)';
    const sql = `SELECT ${key} AS k, ${n} AS n ${from} ${join} WHERE ${where} GROUP BY k`;
    const { st, args } = run(sql, q);
    const out: Record<string, number> = {};
    for (const r of st.all(args) as { k: string | number | null; n: number }[]) out[String(r.k ?? '?')] = r.n;
    return out;
  };
  const ruleJoin = `JOIN violations v ON v.face_id = f.id JOIN rules ru ON ru.id = v.rule_id`;

  const stats = db.prepare(`SELECT d.id AS datasetId,
      (SELECT count(*) FROM images i WHERE i.dataset_id = d.id) AS images,
      (SELECT count(*) FROM images i WHERE i.dataset_id = d.id AND i.status = 'error') AS errors,
      (SELECT count(*) FROM images i WHERE i.dataset_id = d.id AND i.analyzed_at IS NOT NULL) AS analyzed,
      (SELECT count(*) FROM faces f JOIN images i ON i.id = f.image_id WHERE i.dataset_id = d.id) AS faces,
      (SELECT count(*) FROM reviews r JOIN faces f ON f.id = r.face_id JOIN images i ON i.id = f.image_id
        WHERE i.dataset_id = d.id AND r.status = 'reviewed') AS reviewed,
      (SELECT count(*) FROM violations v JOIN faces f ON f.id = v.face_id JOIN images i ON i.id = f.image_id
        WHERE i.dataset_id = d.id) AS violations,
      (SELECT count(DISTINCT v.face_id) FROM violations v JOIN faces f ON f.id = v.face_id
        JOIN images i ON i.id = f.image_id WHERE i.dataset_id = d.id) AS facesWithViolations
    FROM datasets d WHERE @id IS NULL OR d.id = @id ORDER BY d.id`);
  const labelsStamp = db.prepare(`SELECT count(*) || ':' || coalesce(max(l.updated_at), 0) FROM labels l
    JOIN faces f ON f.id = l.face_id JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ?`);

  return {
    /** A page of faces: by id cursor (default order), else by offset (`cursor` = `offset`). */
    page(q: GalleryQuery): {
      items: (FaceSummary & { imageWidth: number | null; imageHeight: number | null })[];
      total: number;
      nextCursor: number | null;
    } {
      const limit = q.limit ?? 200;
      const { from, where } = clauses(q, undefined, orderBy(q));
      const byOffset = q.offset !== undefined || (q.sort !== undefined && q.sort !== 'id') || q.desc === true;
      const offset = q.offset ?? (byOffset ? (q.cursor ?? 0) : 0);
      const sql = byOffset
        ? `SELECT ${summaryCols} ${from} WHERE ${where} ORDER BY ${orderBy(q)} LIMIT @limit OFFSET @offset`
        : `SELECT ${summaryCols} ${from} WHERE ${where} AND f.id > @cursor ORDER BY f.id LIMIT @limit`;
      const { st, args } = run(sql, q);
      const rows = st.all({
        ...args,
        limit,
        ...(byOffset ? { offset } : { cursor: q.cursor ?? 0 }),
      }) as (Row & {
        imageWidth: number | null;
        imageHeight: number | null;
      })[];
      const items = rows.map(({ x, y, w, h, ...rest }) => ({ ...rest, box: { x, y, w, h } }));
      const last = items.at(-1);
      const full = items.length === limit;
      return {
        items,
        total: count(q),
        nextCursor: !full || !last ? null : byOffset ? offset + limit : last.id,
      };
    },
    /** The SQL text and bound values of a page query, for EXPLAIN QUERY PLAN tests. */
    explain(q: GalleryQuery): string[] {
      const { from, where } = clauses(q, undefined, orderBy(q));
      const sql = `SELECT ${summaryCols} ${from} WHERE ${where} ORDER BY ${orderBy(q)} LIMIT 200 OFFSET 0`;
      const args = bind(sql, params(q));
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]).map((r) => r.detail);
    },
    facets(q: GalleryQuery): FaceFacets {
      const attr = q.attr;
      const withAttr = (source: 'label' | 'prediction') =>
        attr
          ? grouped(
              { ...q, attr: { ...attr, source } },
              'attrValue',
              source === 'label' ? labelValue : predValue,
            )
          : {};
      return {
        total: count(q),
        review: grouped(q, 'review', `coalesce(r.status, 'unreviewed')`),
        severity: grouped(q, 'severity', 'ru.severity', ruleJoin),
        rules: grouped(q, 'rule', 'ru.key', ruleJoin),
        splits: grouped(q, 'split', `coalesce(i.split, '')`),
        withViolations: count(
          q,
          'violations',
          ' AND EXISTS (SELECT 1 FROM violations v WHERE v.face_id = f.id)',
        ),
        labelValues: withAttr('label'),
        predictionValues: withAttr('prediction'),
        disagree: attr ? count({ ...q, attr: { ...attr, disagree: true } }, 'attrValue') : 0,
        unusual:
          q.unusualScores !== undefined
            ? count({ ...q, unusualBelow: q.unusualBelow ?? 0.05 }, undefined)
            : 0,
      };
    },
    datasetStats(datasetId?: number): DatasetStats[] {
      return stats.all({ id: datasetId ?? null }) as DatasetStats[];
    },
    /** Changes whenever a label of the dataset is written (count and latest write time). */
    labelsStamp(datasetId: number): string {
      return labelsStamp.pluck().get(datasetId) as string;
    },
  };
}
export type GalleryRepository = ReturnType<typeof createGalleryRepository>;
