// Temp folders and the face-api demo photos (real faces) for tests.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const DEMO_DIR = join(ROOT, 'node_modules', '@vladmandic', 'face-api', 'demo');
export const SAMPLE_NAMES = [1, 2, 3, 4, 5, 6].map((i) => `sample${i}.jpg`);

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'fi-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copies sample1.jpg .. sample6.jpg into `dir` (created if needed); returns their paths. */
export function copySamples(dir: string, names = SAMPLE_NAMES): string[] {
  mkdirSync(dir, { recursive: true });
  return names.map((n) => {
    const to = join(dir, n);
    copyFileSync(join(DEMO_DIR, n), to);
    return to;
  });
}
