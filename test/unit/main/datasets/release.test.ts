// The release finder keeps its own copy of the release file names (it must stay light for the UI process):
// they are the format modules' names, and one marker of each format is found beside an images folder.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CELEBA_FILES } from '../../../../src/main/datasets/formats/celeba';
import { CELEBAMASK_ATTR } from '../../../../src/main/datasets/formats/celebamask';
import { EXPW_FILE } from '../../../../src/main/datasets/formats/expw';
import { FAIRFACE_FILES } from '../../../../src/main/datasets/formats/fairface';
import { RAFDB_FILE } from '../../../../src/main/datasets/formats/rafdb';
import { MARKERS, findReleases } from '../../../../src/main/datasets/formats/release';

describe('release markers', () => {
  it('are the names the format modules read', () => {
    expect(MARKERS.map((m) => [m.format, m.file])).toEqual([
      ['celebamask-hq', CELEBAMASK_ATTR],
      ['celeba', CELEBA_FILES.attr],
      ['fairface', FAIRFACE_FILES.train],
      ['fairface', FAIRFACE_FILES.val],
      ['rafdb', RAFDB_FILE],
      ['expw', EXPW_FILE],
    ]);
  });

  it('finds a release in the parent folder and its sub-folder, one entry per format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fi-release-'));
    try {
      const images = join(dir, 'img_align_celeba');
      mkdirSync(images);
      mkdirSync(join(dir, 'Anno'));
      writeFileSync(join(dir, 'Anno', CELEBA_FILES.attr), '0\n');
      writeFileSync(join(images, FAIRFACE_FILES.val), 'file,age\n');
      expect(findReleases(images)).toEqual([
        { format: 'fairface', source: images, file: join(images, FAIRFACE_FILES.val) },
        { format: 'celeba', source: dir, file: join(dir, 'Anno', CELEBA_FILES.attr) },
      ]);
      expect(findReleases(join(dir, 'missing'))).toEqual([
        { format: 'celeba', source: dir, file: join(dir, 'Anno', CELEBA_FILES.attr) },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
