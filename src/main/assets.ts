// Asset resolution for the image / thumbnail routes, with the path guard: only files under a dataset root.
import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, sep } from 'node:path';
import { AppError } from '../shared/errors';
import type { AssetKind } from '../shared/api';
import type { Store } from './store/index';
import { decodeWithThumb, thumbPath, writeThumb } from './thumbs';
import { faceCrop, pickMask } from './review/face-assets';

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.jfif': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Joins a dataset-relative path onto its root, refusing absolute paths, `..` segments and symlinks that
 * resolve outside the root. Returns the real path of the file.
 */
export async function guardPath(root: string, relPath: string): Promise<string> {
  const refuse = (why: string) =>
    new AppError('invalid_request', `refused asset path "${relPath}": ${why}`, { where: { field: 'path' } });
  if (relPath.length === 0) throw refuse('empty');
  if (relPath.includes('\0')) throw refuse('contains a NUL byte');
  if (isAbsolute(relPath) || /^[a-zA-Z]:[\\/]/.test(relPath) || relPath.startsWith('\\')) {
    throw refuse('absolute paths are not allowed');
  }
  if (relPath.split(/[\\/]/).some((seg) => seg === '..')) throw refuse('".." is not allowed');
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(join(root, relPath));
  } catch {
    throw new AppError('not_found', `file not found: ${relPath}`, { where: { file: relPath } });
  }
  const rel = relative(realRoot, real);
  if (rel === '' || rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel)) {
    throw refuse('it resolves outside the dataset folder');
  }
  return real;
}

export interface ResolvedAsset {
  path: string;
  contentType: string;
  /** Bytes from the database (masks): served as they are; `path` is then only a name for logs. */
  body?: Buffer;
}

export function createAssetResolver(store: Store, thumbsDir: string) {
  return async function resolveAsset(
    kind: AssetKind | string,
    id: number,
    params?: URLSearchParams,
  ): Promise<ResolvedAsset> {
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new AppError('invalid_request', `asset id must be a positive integer`, {
        where: { field: 'id' },
      });
    }
    if (kind === 'face') {
      return { path: await faceCrop(store, thumbsDir, id, guardPath), contentType: 'image/jpeg' };
    }
    if (kind === 'mask') {
      const m = pickMask(store, id, { source: params?.get('source'), version: params?.get('version') });
      return { path: `mask/${id}/${m.source}/${m.version}`, contentType: 'image/png', body: m.png };
    }
    const image = store.images.locate(id);
    if (!image) throw new AppError('not_found', `image ${id} not found`);
    if (kind === 'image') {
      const path = await guardPath(image.root, image.relPath);
      return { path, contentType: contentTypeOf(path) };
    }
    if (kind === 'thumb') {
      if (image.status !== 'ok' || !image.sha256) {
        throw new AppError('not_found', `image ${id} has no thumbnail (${image.status})`);
      }
      const file = thumbPath(thumbsDir, image.sha256);
      if (!existsSync(file)) {
        // The cache was cleared: rebuild this one thumbnail from the original.
        const src = await guardPath(image.root, image.relPath);
        const { thumb } = await decodeWithThumb(await readFile(src));
        await writeThumb(thumbsDir, image.sha256, thumb);
      }
      return { path: file, contentType: 'image/jpeg' };
    }
    throw new AppError('invalid_request', `unknown asset kind "${kind}"`, { where: { field: 'kind' } });
  };
}
export type AssetResolver = ReturnType<typeof createAssetResolver>;
