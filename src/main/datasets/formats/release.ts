// Finds a dataset release's annotation files by their published names near an images folder (the folder itself,
// its parent, and the sub-folders the releases use), so `import --format X` and the library can offer them.
// A light module (node:fs and names only): the UI process's `datasets.releases` answers with it inline; the
// names are the format modules' own (test/unit/main/datasets/release.test.ts keeps them equal).
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AnnotationFormat } from './types';

/** Per format: a file whose presence marks the release, and the sub-folders it is found in. */
export const MARKERS: readonly { format: AnnotationFormat; file: string; subs: readonly string[] }[] = [
  { format: 'celebamask-hq', file: 'CelebAMask-HQ-attribute-anno.txt', subs: ['CelebAMask-HQ'] },
  { format: 'celeba', file: 'list_attr_celeba.txt', subs: ['Anno', 'anno'] },
  { format: 'fairface', file: 'fairface_label_train.csv', subs: [] },
  { format: 'fairface', file: 'fairface_label_val.csv', subs: [] },
  { format: 'rafdb', file: 'list_patition_label.txt', subs: ['EmoLabel', 'basic/EmoLabel', 'basic'] },
  { format: 'expw', file: 'label.lst', subs: ['label'] },
];

export interface ReleaseFound {
  format: AnnotationFormat;
  /** What to pass as the import's annotations source: the folder holding the release (the importers search it). */
  source: string;
  /** The marker file that was found. */
  file: string;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Known release files in `imagesFolder` or its parent, most specific format first (CelebAMask-HQ before CelebA),
 * one entry per format. Reads only directory entries; never throws for a missing folder.
 */
export function findReleases(imagesFolder: string): ReleaseFound[] {
  const root = resolve(imagesFolder);
  const found: ReleaseFound[] = [];
  for (const folder of [root, dirname(root)]) {
    if (!existsSync(folder)) continue;
    for (const m of MARKERS) {
      if (found.some((f) => f.format === m.format)) continue;
      for (const sub of ['', ...m.subs]) {
        const file = join(folder, sub, m.file);
        if (isFile(file)) {
          found.push({ format: m.format, source: folder, file });
          break;
        }
      }
    }
  }
  return found;
}

/** The release names searched for a format, for an error message that says what was looked for. */
export function releaseNames(format: AnnotationFormat): string[] {
  return MARKERS.filter((m) => m.format === format).map((m) => m.file);
}
