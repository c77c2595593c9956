// Seeds faces straight into a database (for rule / label tests that do not need the models).
import { openStore, type Store } from '../../src/main/store/index';

/** Adds one imported face per ok image of a dataset (the whole image as its box); returns face ids in order. */
export function seedWholeImageFaces(dbPath: string, datasetId: number): number[] {
  const store: Store = openStore(dbPath);
  try {
    return store.write(() => {
      const ids: number[] = [];
      for (let cursor = 0; ;) {
        const page = store.images.page({ datasetId, status: 'ok', cursor, limit: 1000 });
        for (const img of page.items) {
          const existing = store.faces.byImage(img.id);
          if (existing[0]) {
            ids.push(existing[0].id);
            continue;
          }
          ids.push(
            store.faces.insert({
              imageId: img.id,
              idx: 0,
              x: 0,
              y: 0,
              w: img.width ?? 1,
              h: img.height ?? 1,
              detScore: null,
              source: 'imported',
              landmarks: null,
            }),
          );
        }
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      return ids;
    });
  } finally {
    store.close();
  }
}
