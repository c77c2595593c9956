// Seeds many generated face rows into a dataset straight through the store (gallery at scale; thumbnails repeat).
import type { Store } from '../../src/main/store/index';

/** Deterministic generator so seeded datasets are the same in every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface SeedCounts {
  faces: number;
  reviewed: number;
  withViolations: number;
  smilingLabelled: number;
}

/**
 * Adds `count` faces spread over the dataset's decoded images: boxes inside each image, a `Smiling` and a
 * `gender` prediction each, an imported `Smiling` label on every third face, a violation of the first rule on
 * every seventh and review status `reviewed` on every fifth. Returns what it wrote.
 */
export function seedFaces(store: Store, datasetId: number, count: number): SeedCounts {
  const images = store.images
    .page({ datasetId, status: 'ok', limit: 1000 })
    .items.filter((i) => i.width !== null && i.height !== null);
  if (images.length === 0) throw new Error(`dataset ${datasetId} has no decoded images to seed faces on`);
  const rule = store.rules.list()[0];
  if (!rule) throw new Error('no rules to seed violations with');
  const rand = lcg(42);
  const counts: SeedCounts = { faces: count, reviewed: 0, withViolations: 0, smilingLabelled: 0 };
  store.write(() => {
    for (let n = 0; n < count; n++) {
      const image = images[n % images.length]!;
      const W = image.width!;
      const H = image.height!;
      const w = Math.max(16, Math.round(W * (0.15 + 0.2 * rand())));
      const h = Math.min(H, Math.round(w * 1.2));
      const x = Math.round((W - w) * rand());
      const y = Math.round((H - h) * rand());
      const faceId = store.faces.insert({
        imageId: image.id,
        idx: store.faces.nextIdx(image.id),
        x,
        y,
        w,
        h,
        detScore: 0.5 + 0.5 * rand(),
        source: 'detected',
        landmarks: null,
      });
      const p = rand();
      store.faces.replaceModelOutputs(faceId, {
        predictions: [
          {
            modelId: 'seed',
            modelVersion: '1',
            task: 'Smiling',
            source: 'derived',
            value: { value: p >= 0.5 ? 1 : -1, p },
          },
          {
            modelId: 'seed',
            modelVersion: '1',
            task: 'gender',
            source: 'model',
            value: { label: p < 0.3 ? 'Female' : 'Male', p: 0.6 + 0.4 * rand() },
          },
        ],
        mask: null,
        embeddings: [],
      });
      if (n % 3 === 0) {
        store.labels.setImported(faceId, 'Smiling', n % 2 === 0 ? '1' : '-1');
        counts.smilingLabelled++;
      }
      if (n % 7 === 0) {
        store.rules.replaceFaceViolations(faceId, [{ ruleId: rule.id, subject: 'predictions', detail: {} }]);
        counts.withViolations++;
      }
      if (n % 5 === 0) {
        store.faces.setReview(faceId, 'reviewed');
        counts.reviewed++;
      }
    }
  });
  return counts;
}
