// A fresh migrated SQLite file in a temp folder per test, closed and removed after each test.
import { afterEach } from 'vitest';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/main/store/index';
import { tempDir } from './fs';

/** Registers the cleanup hook in the calling test file; returns the factory its tests call. */
export function tempStores(prefix: string): () => { dir: string; store: Store } {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });
  return () => {
    const t = tempDir(prefix);
    const store = openStore(join(t.dir, 'db.sqlite'));
    cleanups.push(t.cleanup, () => store.close());
    return { dir: t.dir, store };
  };
}
