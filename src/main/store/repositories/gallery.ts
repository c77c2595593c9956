// The face gallery's queries: filtered, sorted, randomly accessible pages, facet counts and library counters.
import type { Db as Database, Stmt as Statement } from '../db-types';
import type { DatasetStats, FaceChip, FaceFacets, FaceQuery, FaceSummary } from '../../../shared/api';
import { jsonList } from '../db-types';

/** A query plus what main computed for it (co-occurrence scores live outside SQL). */
export interface GalleryQuery extends FaceQuery {
  /** JSON object {faceId: score} of faces with an unusual-combination score. */
  unusualScores?: string;
  /** Face ids in the learning module's review order (sort `useful`); the same array while it is current. */
  usefulOrder?: readonly number[];
  /** JSON array of the face ids an MLLM answered wrongly (`mllmWrong`), computed by main. */
  mllmWrongIds?: string;
}

type Dim = 'review' | 'violations' | 'severity' | 'rule' | 'split' | 'attrValue' | 'disagree' | 'unusual';

// The effective label is human, else import: two primary-key reads of the clustered labels table.
const labelValue = `coalesce(lh.value, li.value)`;
// The prediction the gallery reads (learned > model > derived > import) with its value and confidence as
// columns, kept by triggers on predictions (migration 0006), so filters and sorts parse no JSON.
const predValue = `bp.value`;
const predConf = `bp.conf`;
const labelIsOn = (k: string) => `coalesce(
  (SELECT value FROM labels WHERE face_id = f.id AND key = @${k} AND source = 'human'),
  (SELECT value FROM labels WHERE face_id = f.id AND key = @${k} AND source = 'import')) = '1'`;
// A CelebA prediction is on at value +1 (the analyser thresholds P(+1) when it stores the value).
const predictionIsOn = (k: string, pg: boolean) => `EXISTS (SELECT 1 FROM predictions WHERE face_id = f.id
  AND task = @${k} AND ${pg ? `(CAST(value AS jsonb) -> 'value') = CAST('1' AS jsonb)` : `json_extract(value, '$.value') = 1`})`;
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

// In the violation lookups below CROSS JOIN keeps SQLite on the face's violations (violations_face): left to
// itself it may start from the rule and walk every violation of it for each face.

/**
 * FROM and WHERE of a query, leaving out one dimension (for that dimension's facet counts). `uses` is the rest
 * of the statement (columns, grouping, order): the label / prediction joins are added only when SQL reads them.
 */
function clauses(
  q: GalleryQuery,
  skip?: Dim | 'facets',
  uses = '',
  violated = false,
  pg = false,
): { from: string; where: string } {
  // 'facets' leaves out every facet dimension: the facet query groups by them instead.
  const on = (d: Dim) => skip !== d && skip !== 'facets';
  const w = ['i.dataset_id = @datasetId'];
  const attr = q.attr;
  if (q.imageId !== undefined) w.push('f.image_id = @imageId');
  if (q.review !== undefined && on('review')) w.push(`coalesce(r.status, 'unreviewed') = @review`);
  if (q.hasViolations !== undefined && on('violations')) {
    w.push(`${q.hasViolations ? '' : 'NOT '}EXISTS (SELECT 1 FROM violations v WHERE v.face_id = f.id)`);
  }
  if (q.ruleKey !== undefined && on('rule')) {
    w.push(`EXISTS (SELECT 1 FROM violations v CROSS JOIN rules ru ON ru.id = v.rule_id
      WHERE v.face_id = f.id AND ru.key = @ruleKey)`);
  }
  if (q.severity !== undefined && on('severity')) {
    w.push(`EXISTS (SELECT 1 FROM violations v CROSS JOIN rules ru ON ru.id = v.rule_id
      WHERE v.face_id = f.id AND ru.severity = @severity)`);
  }
  if (q.split !== undefined && on('split')) w.push(`coalesce(i.split, '') = @split`);
  // SQLite's LIKE ignores ASCII case; PostgreSQL's is case-sensitive (ILIKE is not).
  if (q.search) w.push(`i.rel_path ${pg ? 'ILIKE' : 'LIKE'} @search ESCAPE '\\'`);
  if (attr?.value !== undefined && on('attrValue')) {
    const expr = attr.source === 'prediction' ? predValue : labelValue;
    w.push(attr.value === '?' ? `${expr} IS NULL` : `${expr} = @attrValue`);
  }
  if (attr?.disagree && on('disagree')) {
    w.push(`${labelValue} IS NOT NULL AND ${predValue} IS NOT NULL AND ${labelValue} != ${predValue}`);
  }
  if (attr?.confMin !== undefined) w.push(`${predConf} >= @confMin`);
  if (attr?.confMax !== undefined) w.push(`${predConf} < @confMax`);
  if (q.pair) {
    for (const k of ['pairA', 'pairB'])
      w.push(q.pair.source === 'labels' ? labelIsOn(k) : predictionIsOn(k, pg));
  }
  if (q.unusualBelow !== undefined && q.unusualScores !== undefined && on('unusual')) {
    w.push('u.score < @unusualBelow');
  }
  if (q.likelyWrong) {
    w.push('EXISTS (SELECT 1 FROM face_label_scores s WHERE s.face_id = f.id AND s.suspects > 0)');
  }
  if (q.suspectKey !== undefined) {
    w.push(`EXISTS (SELECT 1 FROM label_issues li2 WHERE li2.face_id = f.id AND li2.key = @suspectKey
      AND li2.suspect = 1)`);
  }
  if (q.mllmWrong !== undefined) {
    w.push(`f.id IN ${jsonList({ dialect: pg ? 'postgres' : 'sqlite' }, '@mllmWrongIds', 'int')}`);
  }
  if (/\bur\./.test(uses)) w.push('ur.dataset_id = @datasetId');
  const where = w.join(' AND ');
  const all = `${where} ${uses}`;
  // In id order, walking faces by primary key and stopping at LIMIT beats joining from the dataset's images
  // and sorting every face of it (SQLite's own choice): CROSS JOIN pins faces as the outer loop. In `useful`
  // order every face of the dataset has a rank, so walking the ranks (inner join) needs no sort either.
  const join = (q.sort ?? 'id') === 'id' ? 'CROSS JOIN' : 'JOIN';
  // `violated`: only faces with a violation, walked from the violations (a small share of the faces).
  let from = /\bur\./.test(uses)
    ? `FROM gallery_ranks ur CROSS JOIN faces f ON f.id = ur.face_id CROSS JOIN images i ON i.id = f.image_id`
    : violated
      ? `FROM (SELECT DISTINCT face_id FROM violations) vf CROSS JOIN faces f ON f.id = vf.face_id
        CROSS JOIN images i ON i.id = f.image_id`
      : `FROM faces f ${join} images i ON i.id = f.image_id`;
  from += ' LEFT JOIN reviews r ON r.face_id = f.id';
  if (/\bl[hi]\./.test(all)) {
    from += ` LEFT JOIN labels lh ON lh.face_id = f.id AND lh.key = @attrKey AND lh.source = 'human'
      LEFT JOIN labels li ON li.face_id = f.id AND li.key = @attrKey AND li.source = 'import'`;
  }
  if (/\bbp\./.test(all)) {
    from += ` LEFT JOIN best_predictions bp ON bp.face_id = f.id AND bp.task = @attrKey`;
  }
  if (/\bws\./.test(all)) from += ' LEFT JOIN face_label_scores ws ON ws.face_id = f.id';
  if (/\bu\./.test(all)) {
    from += pg
      ? ` LEFT JOIN (SELECT CAST(key AS bigint) AS faceId, CAST(value AS double precision) AS score
        FROM json_each_text(CAST(@unusualScores AS json))) u ON u.faceId = f.id`
      : ` LEFT JOIN (SELECT CAST(key AS INTEGER) AS faceId, value AS score FROM json_each(@unusualScores))
      u ON u.faceId = f.id`;
  }
  return { from, where };
}

/** ORDER BY terms: expression, direction, and NULLS LAST where the expression may be NULL. */
type Term = [expr: string, dir: 'ASC' | 'DESC', nullsLast?: boolean];

function orderTerms(q: GalleryQuery): Term[] {
  const dir = q.desc ? 'DESC' : 'ASC';
  switch (q.sort ?? 'id') {
    case 'file':
      return [
        ['i.rel_path', dir],
        ['f.idx', dir],
        ['f.id', 'ASC'],
      ];
    case 'violations':
      // Most violations first unless asked otherwise: that is what a reviewer sorts by.
      return [
        [violationCount, q.desc === false ? 'ASC' : 'DESC'],
        ['f.id', 'ASC'],
      ];
    case 'confidence':
      return q.attr
        ? [
            [predConf, dir, true],
            ['f.id', 'ASC'],
          ]
        : [['f.id', 'ASC']];
    case 'unusual':
      return q.unusualScores !== undefined
        ? [
            ['u.score', dir, true],
            ['f.id', 'ASC'],
          ]
        : [['f.id', 'ASC']];
    case 'useful':
      return q.usefulOrder !== undefined ? [['ur.rank', dir]] : [['f.id', 'ASC']];
    case 'wrong':
      // Highest stored label-issue score first unless asked otherwise; faces without a score last.
      return [
        ['ws.score', q.desc === false ? 'ASC' : 'DESC', true],
        ['f.id', 'ASC'],
      ];
    default:
      return [['f.id', dir]];
  }
}

/** The ORDER BY clause; `reverse` flips every term (pages near the end are read backwards from the end). */
function orderBy(q: GalleryQuery, reverse = false): string {
  return orderTerms(q)
    .map(([expr, dir, nullsLast]) => {
      const d = reverse ? (dir === 'ASC' ? 'DESC' : 'ASC') : dir;
      const nulls = nullsLast === undefined ? '' : nullsLast !== reverse ? ' NULLS LAST' : ' NULLS FIRST';
      return `${expr} ${d}${nulls}`;
    })
    .join(', ');
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
    suspectKey: q.suspectKey ?? null,
    mllmWrongIds: q.mllmWrongIds ?? '[]',
  };
}

/** Binds only the parameters a statement names (better-sqlite3 refuses missing ones, not extra ones). */
function bind(sql: string, all: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) if (sql.includes(`@${k}`)) out[k] = v;
  return out;
}

/** The unusual facet's threshold when the query sets none (p of the rarest label pair). */
const UNUSUAL_DEFAULT = 0.05;

/** One group of the facet pass: a combination of facet values and its number of faces. */
interface FacetGroup {
  rv: string;
  sp: string;
  hv: number;
  se: number;
  sw: number;
  rk: number;
  lv: string | null;
  pv: string | null;
  un: number | null;
  n: number;
}

/**
 * The facet pass's columns: each facet dimension's value (or flag) per face. The violation flags are looked up
 * only in the pass over violated faces (`violated`); the other pass sets them to 0.
 */
function facetCols(q: GalleryQuery, violated: boolean): string {
  const severity = (s: string) => `EXISTS (SELECT 1 FROM violations v CROSS JOIN rules ru ON ru.id = v.rule_id
    WHERE v.face_id = f.id AND ru.severity = '${s}')`;
  const rule = `EXISTS (SELECT 1 FROM violations v CROSS JOIN rules ru ON ru.id = v.rule_id
    WHERE v.face_id = f.id AND ru.key = @ruleKey)`;
  const flags = violated
    ? `1 AS hv, ${severity('error')} AS se, ${severity('warning')} AS sw,
      ${q.ruleKey !== undefined ? rule : '0'} AS rk`
    : '0 AS hv, 0 AS se, 0 AS sw, 0 AS rk';
  return `coalesce(r.status, 'unreviewed') AS rv, coalesce(i.split, '') AS sp, ${flags},
    ${q.attr ? `${labelValue} AS lv, ${predValue} AS pv` : 'NULL AS lv, NULL AS pv'},
    ${q.unusualScores !== undefined ? 'u.score < @unusualAt' : 'NULL'} AS un`;
}

/** All faces' groups (violation flags 0) minus the violated faces' groups, plus the latter: every face once. */
function mergeGroups(all: FacetGroup[], violated: FacetGroup[]): FacetGroup[] {
  const key = (g: FacetGroup) => JSON.stringify([g.rv, g.sp, g.lv, g.pv, g.un]);
  const taken = new Map<string, number>();
  for (const g of violated) taken.set(key(g), (taken.get(key(g)) ?? 0) + g.n);
  const clean = all.map((g) => ({ ...g, n: g.n - (taken.get(key(g)) ?? 0) })).filter((g) => g.n > 0);
  return [...clean, ...violated];
}

/** Whether a facet group passes each dimension's active filter (an inactive one passes everything). */
function passes(q: GalleryQuery, g: FacetGroup): Record<Dim, boolean> {
  const attr = q.attr;
  const value = attr?.source === 'prediction' ? g.pv : g.lv;
  const disagree = g.lv !== null && g.pv !== null && g.lv !== g.pv;
  return {
    review: q.review === undefined || g.rv === q.review,
    violations: q.hasViolations === undefined || Boolean(g.hv) === q.hasViolations,
    rule: q.ruleKey === undefined || g.rk === 1,
    severity: q.severity === undefined || (q.severity === 'error' ? g.se : g.sw) === 1,
    split: q.split === undefined || g.sp === q.split,
    attrValue: attr?.value === undefined || (attr.value === '?' ? value === null : value === attr.value),
    disagree: !attr?.disagree || disagree,
    unusual: q.unusualBelow === undefined || q.unusualScores === undefined || g.un === 1,
  };
}

/** Sums the facet groups into the facets (each under every active filter but its own); keys sorted. */
function tally(q: GalleryQuery, groups: FacetGroup[]): Omit<FaceFacets, 'rules'> {
  const out = {
    total: 0,
    review: {} as Record<string, number>,
    severity: {} as Record<string, number>,
    splits: {} as Record<string, number>,
    withViolations: 0,
    labelValues: {} as Record<string, number>,
    predictionValues: {} as Record<string, number>,
    disagree: 0,
    unusual: 0,
  };
  const add = (m: Record<string, number>, k: string, n: number) => (m[k] = (m[k] ?? 0) + n);
  for (const g of groups) {
    const ok = passes(q, g);
    const but = (d: Dim) => (Object.keys(ok) as Dim[]).every((k) => k === d || ok[k]);
    if (but('review')) add(out.review, g.rv, g.n);
    if (but('severity') && g.se) add(out.severity, 'error', g.n);
    if (but('severity') && g.sw) add(out.severity, 'warning', g.n);
    if (but('split')) add(out.splits, g.sp, g.n);
    if (but('violations') && g.hv) out.withViolations += g.n;
    if (q.attr && but('attrValue')) {
      add(out.labelValues, g.lv ?? '?', g.n);
      add(out.predictionValues, g.pv ?? '?', g.n);
      if (g.lv !== null && g.pv !== null && g.lv !== g.pv) out.disagree += g.n;
    }
    if (q.unusualScores !== undefined && but('unusual') && g.un === 1) out.unusual += g.n;
    if (Object.values(ok).every(Boolean)) out.total += g.n;
  }
  const sorted = (m: Record<string, number>) =>
    Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    ...out,
    review: sorted(out.review),
    severity: sorted(out.severity),
    splits: sorted(out.splits),
    labelValues: sorted(out.labelValues),
    predictionValues: sorted(out.predictionValues),
  };
}

type Row = Omit<FaceSummary, 'box'> & { x: number; y: number; w: number; h: number };

export function createGalleryRepository(db: Database) {
  const pg = db.dialect === 'postgres';
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
  const count = (q: GalleryQuery): number => {
    const { from, where } = clauses(q, undefined, '', false, pg);
    const { st, args } = run(`SELECT count(*) ${from} WHERE ${where}`, q);
    return st.pluck().get(args) as number;
  };
  const grouped = (q: GalleryQuery, skip: Dim, key: string, join = ''): Record<string, number> => {
    // A join with the violations counts violated faces only: walk those instead of every face.
    const { from, where } = clauses(q, skip, key, join !== '', pg);
    // Only the violation join repeats a face; DISTINCT costs a temp b-tree, so it is used only there.
    const n = join ? 'count(DISTINCT f.id)' : 'count(*)';
    const sql = `SELECT ${key} AS k, ${n} AS n ${from} ${join} WHERE ${where} GROUP BY k`;
    const { st, args } = run(sql, q);
    const out: Record<string, number> = {};
    for (const r of st.all(args) as { k: string | number | null; n: number }[]) out[String(r.k ?? '?')] = r.n;
    return out;
  };
  const ruleJoin = `JOIN violations v ON v.face_id = f.id JOIN rules ru ON ru.id = v.rule_id`;

  // The `useful` order of each dataset, as last loaded into this connection's temp table (temp writes take no
  // lock on the database file, so the UI's reads never wait on the job runner for them).
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS gallery_ranks (dataset_id ${pg ? 'BIGINT' : 'INTEGER'} NOT NULL,
    rank INTEGER NOT NULL, face_id ${pg ? 'BIGINT' : 'INTEGER'} NOT NULL, PRIMARY KEY (dataset_id, rank))${pg ? '' : ' WITHOUT ROWID'}`);
  const loaded = new Map<number, readonly number[]>();
  const clearRanks = db.prepare(`DELETE FROM temp.gallery_ranks WHERE dataset_id = ?`);
  const addRank = db.prepare(`INSERT INTO temp.gallery_ranks (dataset_id, rank, face_id) VALUES (?, ?, ?)`);
  const loadRanks = db.transaction((datasetId: number, order: readonly number[]) => {
    clearRanks.run(datasetId);
    order.forEach((faceId, rank) => addRank.run(datasetId, rank, faceId));
  });
  const useRanks = (q: GalleryQuery) => {
    if (!q.usefulOrder || loaded.get(q.datasetId) === q.usefulOrder) return;
    loadRanks(q.datasetId, q.usefulOrder);
    loaded.set(q.datasetId, q.usefulOrder);
  };

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

  // Per face and chip key: the effective label (human over import) and the best prediction with its confidence.
  // PostgreSQL: the same rows from the arrays' elements with their positions (json_each's `key` in SQLite);
  // round() on numeric rounds halves away from zero as SQLite's does.
  const chipRows = pg
    ? db.prepare(`SELECT j.id AS faceId, k.value AS key, coalesce(lh.value, li.value) AS label,
      coalesce(bp.value, CAST(CAST(round(CAST(CAST(p.value AS json) ->> 'years' AS numeric)) AS bigint) AS text))
        AS pred,
      bp.conf AS conf
    FROM (SELECT CAST(value AS bigint) AS id, n FROM json_array_elements_text(CAST(@ids AS json))
        WITH ORDINALITY e(value, n)) j
      CROSS JOIN json_array_elements_text(CAST(@keys AS json)) WITH ORDINALITY k(value, n)
    LEFT JOIN labels lh ON lh.face_id = j.id AND lh.key = k.value AND lh.source = 'human'
    LEFT JOIN labels li ON li.face_id = j.id AND li.key = k.value AND li.source = 'import'
    LEFT JOIN best_predictions bp ON bp.face_id = j.id AND bp.task = k.value
    LEFT JOIN predictions p ON p.id = bp.prediction_id
    ORDER BY j.n, k.n`)
    : db.prepare(`SELECT j.value AS faceId, k.value AS key, coalesce(lh.value, li.value) AS label,
      coalesce(bp.value, CAST(CAST(round(json_extract(p.value, '$.years')) AS INTEGER) AS TEXT)) AS pred,
      bp.conf AS conf
    FROM json_each(@ids) j CROSS JOIN json_each(@keys) k
    LEFT JOIN labels lh ON lh.face_id = j.value AND lh.key = k.value AND lh.source = 'human'
    LEFT JOIN labels li ON li.face_id = j.value AND li.key = k.value AND li.source = 'import'
    LEFT JOIN best_predictions bp ON bp.face_id = j.value AND bp.task = k.value
    LEFT JOIN predictions p ON p.id = bp.prediction_id
    ORDER BY j.key, k.key`);

  return {
    /**
     * The tiles' chips for a page of faces: per key (in `keys` order) the label when there is one, else the best
     * prediction (with its confidence when known); keys with neither are left out.
     */
    chips(faceIds: readonly number[], keys: readonly string[]): Map<number, FaceChip[]> {
      const out = new Map<number, FaceChip[]>(faceIds.map((id) => [id, []]));
      if (faceIds.length === 0) return out;
      const rows = chipRows.all({ ids: JSON.stringify(faceIds), keys: JSON.stringify(keys) }) as {
        faceId: number;
        key: string;
        label: string | null;
        pred: string | null;
        conf: number | null;
      }[];
      for (const r of rows) {
        const chip: FaceChip | null =
          r.label !== null
            ? { key: r.key, value: r.label, source: 'label' }
            : r.pred !== null
              ? {
                  key: r.key,
                  value: r.pred,
                  source: 'prediction',
                  ...(r.conf !== null ? { conf: r.conf } : {}),
                }
              : null;
        if (chip) out.get(r.faceId)?.push(chip);
      }
      return out;
    },
    /** A page of faces: by id cursor (default order), else by offset (`cursor` = `offset`). */
    page(q: GalleryQuery): {
      items: (FaceSummary & { imageWidth: number | null; imageHeight: number | null })[];
      total: number;
      nextCursor: number | null;
    } {
      const limit = q.limit ?? 200;
      useRanks(q);
      const { from, where } = clauses(q, undefined, orderBy(q), false, pg);
      const byOffset = q.offset !== undefined || (q.sort !== undefined && q.sort !== 'id') || q.desc === true;
      const offset = q.offset ?? (byOffset ? (q.cursor ?? 0) : 0);
      const total = count(q);
      // OFFSET walks the rows it skips: a page past the middle is read in reverse order from the end instead,
      // so the last page costs what the first does.
      const backwards = byOffset && offset > total / 2 && offset < total;
      const sql = !byOffset
        ? `SELECT ${summaryCols} ${from} WHERE ${where} AND f.id > @cursor ORDER BY f.id LIMIT @limit`
        : `SELECT ${summaryCols} ${from} WHERE ${where} ORDER BY ${orderBy(q, backwards)}
          LIMIT @limit OFFSET @offset`;
      const { st, args } = run(sql, q);
      const window = backwards
        ? { limit: Math.min(limit, total - offset), offset: Math.max(0, total - offset - limit) }
        : { limit, offset };
      const rows = st.all({
        ...args,
        ...(byOffset ? window : { limit, cursor: q.cursor ?? 0 }),
      }) as (Row & {
        imageWidth: number | null;
        imageHeight: number | null;
      })[];
      if (backwards) rows.reverse();
      const items = rows.map(({ x, y, w, h, ...rest }) => ({ ...rest, box: { x, y, w, h } }));
      const last = items.at(-1);
      const full = items.length === limit;
      return {
        items,
        total,
        nextCursor: !full || !last ? null : byOffset ? offset + limit : last.id,
      };
    },
    /** The SQL text and bound values of a page query, for EXPLAIN QUERY PLAN tests. */
    explain(q: GalleryQuery): string[] {
      useRanks(q);
      const { from, where } = clauses(q, undefined, orderBy(q), false, pg);
      const sql = `SELECT ${summaryCols} ${from} WHERE ${where} ORDER BY ${orderBy(q)} LIMIT 200 OFFSET 0`;
      const args = bind(sql, params(q));
      if (pg) return (db.prepare(`EXPLAIN ${sql}`).pluck().all(args) as string[]).map((l) => l.trim());
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]).map((r) => r.detail);
    },
    /**
     * Live counts: one grouped pass over the faces under the filters that are no facet, by every facet
     * dimension at once, then each facet summed in JS under all active filters but its own; rule keys (several
     * per face) are one more grouped query.
     */
    facets(q: GalleryQuery): FaceFacets {
      const pass = (violated: boolean) => {
        const cols = facetCols(q, violated);
        const { from, where } = clauses(q, 'facets', cols, violated, pg);
        const sql = `SELECT ${cols}, count(*) AS n ${from} WHERE ${where} GROUP BY rv, sp, se, sw, rk, lv, pv, un`;
        const { st, args } = run(sql, q);
        return st.all({ ...args, unusualAt: q.unusualBelow ?? UNUSUAL_DEFAULT }) as FacetGroup[];
      };
      const groups = mergeGroups(pass(false), pass(true));
      return { ...tally(q, groups), rules: grouped(q, 'rule', 'ru.key', ruleJoin) };
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
