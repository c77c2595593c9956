// The repositories' real operations on both backends (a SQLite file and a PostgreSQL database): the same scenario
// gives the same results, and the backend-specific parts (transactions, the write lock, cursors) behave alike.
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/main/store/index';
import { BACKENDS, freshTarget, skipBackend, type Backend } from '../../helpers/backends';
import { scenario, untimed } from '../../helpers/store-scenario';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.splice(0).forEach((c) => c()));

async function open(backend: Backend, prefix: string): Promise<Store> {
  const t = await freshTarget(backend, prefix);
  const store = openStore(t.target);
  cleanups.push(t.cleanup, () => store.close());
  return store;
}

const transcripts = new Map<Backend, unknown>();

describe.each(BACKENDS)('store on %s', (backend) => {
  it.skipIf(skipBackend(backend))('runs every repository operation of the scenario', async () => {
    const store = await open(backend, 'scenario');
    expect(store.dialect).toBe(backend);
    const t0 = performance.now();
    const out = scenario(store);
    console.log(`${backend}: scenario ${Math.round(performance.now() - t0)} ms`);
    transcripts.set(backend, untimed(out));
    // Spot checks of the semantics both must have.
    const gal = out.gallery as Record<string, unknown>;
    expect(gal.search).toHaveLength(1); // case-insensitive, like SQLite's LIKE
    expect(gal.searchLiteral).toEqual([]); // `_` is escaped, not a wildcard
    expect((out.jobs as { lostClaim: boolean }).lostClaim).toBe(false);
    expect((out.jobs as { job: { summary: unknown } }).job.summary).toEqual({
      added: 1,
      faces: 3,
      failed: 1,
      ratio: 0.5,
    });
    expect(out.reupsert).toBe((out.images as { items: { id: number }[] }).items[1]!.id);
    expect(out.identityStampStable).toBe(true);
  });

  it.skipIf(skipBackend(backend))('rolls back a failed write and nests savepoints', async () => {
    const s = await open(backend, 'tx');
    expect(() =>
      s.write(() => {
        s.datasets.insert({ name: 'a', root: '/a', format: 'folder' });
        throw new Error('no');
      }),
    ).toThrow('no');
    s.write(() => {
      s.datasets.insert({ name: 'b', root: '/b', format: 'folder' });
      expect(() =>
        s.write(() => {
          s.datasets.insert({ name: 'c', root: '/c', format: 'folder' });
          s.datasets.insert({ name: 'dup', root: '/b', format: 'folder' }); // unique root
        }),
      ).toThrow();
    });
    expect(s.datasets.roots()).toEqual(['/b']);
  });

  it.skipIf(skipBackend(backend))('iterates a large result in order without reading it at once', async () => {
    const s = await open(backend, 'iter');
    const ds = s.write(() => s.datasets.insert({ name: 'n', root: '/n', format: 'folder' }));
    s.write(() => {
      const rec = {
        datasetId: ds,
        sha256: null,
        width: 1,
        height: 1,
        status: 'ok' as const,
        error: null,
        sizeBytes: 1,
        mtimeMs: 1,
      };
      for (let i = 0; i < 1234; i++) {
        const image = s.images.upsert({ ...rec, relPath: `${String(i).padStart(5, '0')}.jpg` });
        const face = s.faces.insert({
          imageId: image,
          idx: 0,
          x: 0,
          y: 0,
          w: 1,
          h: 1,
          detScore: null,
          source: 'imported',
          landmarks: null,
        });
        s.labels.setImported(face, 'Smiling', '1');
      }
    });
    let n = 0;
    let last = 0;
    // Other statements run while the cursor is open (the export reads masks per row).
    for (const l of s.labels.iterateDataset(ds)) {
      expect(l.faceId).toBeGreaterThan(last);
      last = l.faceId;
      if (n++ % 500 === 0) expect(s.faces.get(l.faceId)?.id).toBe(l.faceId);
    }
    expect(n).toBe(1234);
    // Leaving early closes the cursor.
    for (const _ of s.labels.iterateDataset(ds)) break;
    expect(s.faces.idsOfDataset(ds)).toHaveLength(1234);
  });
});

describe('both backends', () => {
  it.skipIf(skipBackend('postgres'))('give equal results for the whole scenario', () => {
    expect(transcripts.size).toBe(2);
    expect(transcripts.get('postgres')).toEqual(transcripts.get('sqlite'));
  });
});
