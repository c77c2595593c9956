// Walks a dataset folder: image files by extension (sorted, POSIX relative paths) and a count of the rest.
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { AppError } from '../../shared/errors';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jfif', '.png', '.webp', '.tif', '.tiff', '.gif']);

export function isImagePath(p: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(p).toLowerCase());
}

export interface WalkResult {
  images: string[];
  /** Files that are not images by extension (counted in the import summary, never recorded). */
  skipped: number;
}

function isInside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel);
}

/**
 * Hidden entries (dot files, .git) are ignored; symlinked directories are not followed (loops), symlinked
 * files only when they resolve inside the root.
 */
export async function walkFolder(root: string, signal?: AbortSignal): Promise<WalkResult> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    if (!(await stat(realRoot)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new AppError('io_error', `cannot read folder ${root}: ${(err as Error).message}`, {
      where: { file: root },
    });
  }
  const images: string[] = [];
  let skipped = 0;
  const stack = [realRoot];
  while (stack.length > 0) {
    if (signal?.aborted) throw new AppError('cancelled', 'folder walk cancelled');
    const dir = stack.pop() as string;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      skipped++; // an unreadable sub-folder is counted, not fatal
      continue;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) stack.push(full);
      else if (e.isFile() || e.isSymbolicLink()) {
        if (e.isSymbolicLink()) {
          const target = await realpath(full).catch(() => null);
          if (!target || !isInside(realRoot, target) || !(await stat(target)).isFile()) {
            skipped++;
            continue;
          }
        }
        if (isImagePath(e.name)) images.push(relative(realRoot, full).split(sep).join('/'));
        else skipped++;
      }
    }
  }
  images.sort();
  return { images, skipped };
}
