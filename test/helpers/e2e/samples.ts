// Copies the face-api demo photos (sample1.jpg .. sample6.jpg) into a fresh temp folder.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEMO = fileURLToPath(new URL('../../../node_modules/@vladmandic/face-api/demo/', import.meta.url));
export const SAMPLE_NAMES = [1, 2, 3, 4, 5, 6].map((i) => `sample${i}.jpg`);

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `faceinsight-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A temp folder holding the named demo photos (all six by default); `remove()` deletes it. */
export function sampleFolder(names: string[] = SAMPLE_NAMES): { path: string; remove(): void } {
  const dir = tempDir('samples');
  for (const name of names) copyFileSync(join(DEMO, name), join(dir.path, name));
  return dir;
}
