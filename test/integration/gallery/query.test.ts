// The gallery's face query at scale on a real SQLite file: filters, sorts, offsets, facets and the query plan.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/main/store/index';
import { seedFaces, type SeedCounts } from '../../helpers/gallery-seed';
import { tempDir } from '../../helpers/fs';

const FACES = 20_000;
let store: Store;
let cleanup: () => void;
let datasetId: number;
let seeded: SeedCounts;

beforeAll(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  store = openStore(join(t.dir, 'fi.db'));
  store.write(() => {
    store.rules.replaceAll([
      {
        key: 'smile-check',
        severity: 'warning',
        text: 'smile-check: warning: Smiling -> !Bald',
        enabled: true,
      },
    ]);
    datasetId = store.datasets.insert({ name: 'seeded', root: t.dir, format: 'folder' });
    for (let i = 0; i < 10; i++) {
      const rec = { datasetId, relPath: `img${i}.jpg`, sha256: null, width: 640, height: 480 };
      store.images.upsert({ ...rec, status: 'ok', error: null, sizeBytes: 1, mtimeMs: 1 });
    }
  });
  seeded = seedFaces(store, datasetId, FACES);
}, 120_000);
afterAll(() => {
  store.close();
  cleanup();
});

describe('gallery query', () => {
  it('pages by offset to the last face and reports the total', () => {
    const last = store.gallery.page({ datasetId, offset: FACES - 10, limit: 50 });
    expect(last.total).toBe(FACES);
    expect(last.items).toHaveLength(10);
    expect(last.nextCursor).toBeNull();
    expect(last.items[0]).toMatchObject({ imageWidth: 640, imageHeight: 480 });
  });

  it('filters on review status, violations, severity and rule with matching facet counts', () => {
    expect(store.gallery.page({ datasetId, review: 'reviewed', limit: 1 }).total).toBe(seeded.reviewed);
    expect(store.gallery.page({ datasetId, hasViolations: true, limit: 1 }).total).toBe(
      seeded.withViolations,
    );
    expect(store.gallery.page({ datasetId, severity: 'warning', limit: 1 }).total).toBe(
      seeded.withViolations,
    );
    expect(store.gallery.page({ datasetId, severity: 'error', limit: 1 }).total).toBe(0);
    const facets = store.gallery.facets({ datasetId, review: 'reviewed' });
    expect(facets.total).toBe(seeded.reviewed);
    // Each facet is counted under the other filters only: review counts ignore the review filter itself.
    expect(facets.review.reviewed).toBe(seeded.reviewed);
    expect(facets.review.unreviewed).toBe(FACES - seeded.reviewed);
    expect(facets.rules['smile-check']).toBe(
      store.gallery.page({ datasetId, review: 'reviewed', ruleKey: 'smile-check', limit: 1 }).total,
    );
  });

  it('filters on a label value, a prediction value, disagreement and a confidence band', () => {
    const label = store.gallery.page({ datasetId, attr: { key: 'Smiling', value: '1' }, limit: 1 }).total;
    const labelNo = store.gallery.page({ datasetId, attr: { key: 'Smiling', value: '-1' }, limit: 1 }).total;
    expect(label + labelNo).toBe(seeded.smilingLabelled);
    const unknown = store.gallery.page({ datasetId, attr: { key: 'Smiling', value: '?' }, limit: 1 }).total;
    expect(unknown).toBe(FACES - seeded.smilingLabelled);
    const predicted = store.gallery.page({
      datasetId,
      attr: { key: 'Smiling', source: 'prediction', value: '1' },
      limit: 1000,
    });
    expect(predicted.total).toBeGreaterThan(0);
    const disagree = store.gallery.page({
      datasetId,
      attr: { key: 'Smiling', disagree: true },
      limit: 1,
    }).total;
    expect(disagree).toBeGreaterThan(0);
    expect(disagree).toBeLessThan(seeded.smilingLabelled);
    const band = store.gallery.page({
      datasetId,
      attr: { key: 'gender', confMin: 0.6, confMax: 0.7 },
      limit: 1,
    }).total;
    expect(band).toBeGreaterThan(0);
    expect(band).toBeLessThan(FACES / 2);
    const facets = store.gallery.facets({ datasetId, attr: { key: 'Smiling', value: '1' } });
    expect(facets.labelValues).toMatchObject({ '1': label, '-1': labelNo });
    expect(facets.disagree).toBe(disagree);
  });

  it('sorts by confidence, file name and violation count', () => {
    const conf = store.gallery.page({
      datasetId,
      attr: { key: 'gender' },
      sort: 'confidence',
      limit: 3,
    }).items;
    const first = store.faces.predictions(conf[0]!.id).find((p) => p.task === 'gender')!.value as {
      p: number;
    };
    const third = store.faces.predictions(conf[2]!.id).find((p) => p.task === 'gender')!.value as {
      p: number;
    };
    expect(first.p).toBeLessThanOrEqual(third.p);
    const byViolations = store.gallery.page({ datasetId, sort: 'violations', limit: 1 }).items[0]!;
    expect(byViolations.violations).toBe(1);
    const files = store.gallery.page({ datasetId, sort: 'file', desc: true, limit: 1 }).items[0]!;
    expect(files.relPath).toBe('img9.jpg');
    const search = store.gallery.page({ datasetId, search: 'IMG3', limit: 1 });
    expect(search.total).toBe(FACES / 10);
  });

  it('plans the default gallery page as a walk in id order without a temp sort', () => {
    const plan = store.gallery.explain({ datasetId, hasViolations: true });
    expect(plan.join('\n')).not.toMatch(/SCAN v\b|SCAN violations/);
    expect(plan.join('\n')).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
    expect(plan[0]).toMatch(/^SCAN f\b/);
    expect(plan.some((d) => /SEARCH i USING INTEGER PRIMARY KEY/.test(d))).toBe(true);
    expect(plan.some((d) => /SEARCH (v|violations) USING (COVERING )?INDEX violations_face/.test(d))).toBe(
      true,
    );
  });

  it('answers pages past the middle (read backwards from the end) as a forward walk would', () => {
    for (const q of [
      { sort: 'file' as const, desc: true },
      { sort: 'violations' as const },
      { sort: 'confidence' as const, attr: { key: 'gender' } },
      { review: 'reviewed' as const },
    ]) {
      const all = store.gallery.page({ datasetId, ...q, offset: 0, limit: FACES }).items.map((f) => f.id);
      for (const offset of [Math.floor(all.length / 2) + 1, all.length - 150]) {
        const page = store.gallery.page({ datasetId, ...q, offset, limit: 100 });
        expect(page.items.map((f) => f.id)).toEqual(all.slice(offset, offset + 100));
      }
      const tail = store.gallery.page({ datasetId, ...q, offset: all.length - 30, limit: 100 });
      expect(tail.items.map((f) => f.id)).toEqual(all.slice(-30));
      expect(tail.nextCursor).toBeNull();
    }
  });

  it('plans prediction filters on best_predictions, reading no prediction JSON', () => {
    const plan = store.gallery.explain({
      datasetId,
      attr: { key: 'gender', source: 'prediction', value: 'Female', confMin: 0.7 },
    });
    expect(plan.some((d) => /SEARCH bp USING (COVERING )?(INDEX|PRIMARY KEY)/.test(d))).toBe(true);
    expect(plan.join('\n')).not.toMatch(/predictions_face|SCAN predictions/);
  });
});
