// The face gallery's service methods: filtered pages, facet counts, bulk labelling and the library's counters.
import type { FaceQuery } from '../../shared/api';
import { cooccurrence, effectiveLabels, unusualScores, type LabelRow } from '../../shared/rules';
import { CELEBA_ATTRIBUTES } from '../../shared/taxonomy';
import { labelFromText } from '../constraints/index';
import { cachedRanking, type RankEntry } from '../learning/ranking';
import { setLabel } from '../constraints/faces';
import type { GalleryQuery } from '../store/repositories/gallery';
import { wrongFaceIds } from '../mllm/report';
import type { Handlers, ServiceContext } from './context';

/** Pairs with fewer labelled faces than this give no score: p_ij = m_ij / n_i over a handful of faces is noise. */
const MIN_SUPPORT = 30;

/** Unusual-combination scores of a dataset's labelled faces as a JSON object {faceId: p}, cached per label state. */
function unusualCache(ctx: ServiceContext) {
  const cache = new Map<number, { stamp: string; json: string }>();
  return (datasetId: number): string => {
    const stamp = ctx.store.gallery.labelsStamp(datasetId);
    const hit = cache.get(datasetId);
    if (hit?.stamp === stamp) return hit.json;
    const ids: number[] = [];
    const values: number[] = [];
    let group: LabelRow[] = [];
    let face = -1;
    const flush = () => {
      if (group.length === 0) return;
      const v = effectiveLabels(group).values;
      ids.push(face);
      for (const a of CELEBA_ATTRIBUTES) values.push(v[a] === 1 ? 1 : v[a] === -1 ? -1 : 0);
      group = [];
    };
    for (const l of ctx.store.labels.iterateDataset(datasetId)) {
      if (l.faceId !== face) flush();
      face = l.faceId;
      group.push({ key: l.key, source: l.source, value: labelFromText(l.key, l.value) });
    }
    flush();
    const rows = Int8Array.from(values);
    const scores = unusualScores(cooccurrence(rows, CELEBA_ATTRIBUTES), rows, MIN_SUPPORT);
    const out: Record<number, number> = {};
    ids.forEach((id, i) => {
      const s = scores[i]!;
      if (!Number.isNaN(s)) out[id] = s;
    });
    const json = JSON.stringify(out);
    cache.set(datasetId, { stamp, json });
    return json;
  };
}

/** The learning module's review order (learning.ranking) of a dataset's faces: the one cached ranking. */
function usefulCache(ctx: ServiceContext) {
  const cache = new Map<number, { entries: readonly RankEntry[]; order: readonly number[] }>();
  return (datasetId: number): readonly number[] => {
    const entries = cachedRanking(ctx.store, datasetId);
    const hit = cache.get(datasetId);
    if (hit?.entries === entries) return hit.order;
    const order = entries.map((e) => e.faceId);
    cache.set(datasetId, { entries, order });
    return order;
  };
}

/** What a face tile shows beside the crop: the label fields a reviewer scans for. */
const CHIP_KEYS = ['gender', 'age', 'race', 'expression'] as const;

export function galleryHandlers(
  ctx: ServiceContext,
): Pick<Handlers, 'faces.list' | 'faces.facets' | 'labels.bulkSet' | 'datasets.stats'> {
  const { store } = ctx;
  const scores = unusualCache(ctx);
  const useful = usefulCache(ctx);
  const withScores = (q: FaceQuery, always: boolean): GalleryQuery => {
    ctx.getDataset(q.datasetId);
    const needs = always || q.unusualBelow !== undefined || q.sort === 'unusual';
    const out: GalleryQuery = needs ? { ...q, unusualScores: scores(q.datasetId) } : { ...q };
    if (q.sort === 'useful' && !always) out.usefulOrder = useful(q.datasetId);
    if (q.mllmWrong) {
      const { model, key } = q.mllmWrong;
      out.mllmWrongIds = JSON.stringify(wrongFaceIds(store.mllm.auditRows(q.datasetId), model, key));
    }
    return out;
  };
  return {
    'faces.list': (q) => {
      const page = store.gallery.page(withScores(q, false));
      const chips = store.gallery.chips(
        page.items.map((f) => f.id),
        CHIP_KEYS,
      );
      return { ...page, items: page.items.map((f) => ({ ...f, chips: chips.get(f.id) ?? [] })) };
    },
    'faces.facets': (q) => store.gallery.facets(withScores(q, true)),
    'labels.bulkSet': ({ faceIds, key, value }) => {
      const actor = ctx.actor();
      const unique = [...new Set(faceIds)];
      // One transaction: setLabel's own write nests as a savepoint, so a bad face rolls back them all.
      store.write(() => {
        for (const faceId of unique) setLabel(store, ctx.engine, { faceId, key, value, actor });
      });
      ctx.facesChanged(unique, 'labels', actor);
      return { updated: unique.length };
    },
    'datasets.stats': ({ datasetId }) => {
      if (datasetId !== undefined) ctx.getDataset(datasetId);
      return { items: store.gallery.datasetStats(datasetId) };
    },
  };
}
