// Thumbnails: cached under the app data dir by content hash, never written into a dataset folder.
import sharp from 'sharp';
import { Semaphore } from 'async-mutex';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

export const THUMB_SIZE = 256;
/** sharp's default limitInputPixels (0x3FFF²), stated here so the error can name it. */
export const MAX_PIXELS = 0x3fff * 0x3fff;

export function thumbPath(thumbsDir: string, sha256: string): string {
  return join(thumbsDir, sha256.slice(0, 2), `${sha256}.jpg`);
}

/** Writes atomically (temp + rename) so a killed process never leaves half a thumbnail. */
export async function writeThumb(thumbsDir: string, sha256: string, jpeg: Buffer): Promise<string> {
  const file = thumbPath(thumbsDir, sha256);
  await mkdir(dirname(file), { recursive: true });
  // A temp name of its own per write (two imports of equal bytes write one thumbnail at once), then rename; no
  // fsync: a cache entry, made again from the image if a power cut ever loses it.
  await writeFileAtomic(file, jpeg, { fsync: false });
  return file;
}

/** Decodes that may run at once (an import decodes two files side by side). */
const DECODE_SLOTS = 2;
const decodes = new Semaphore(DECODE_SLOTS);

/**
 * Decodes fully (so truncated files fail here), applies EXIF orientation, returns size and a JPEG thumb. A file
 * that fails is decoded once more with no other decode running: libvips keeps one error buffer for the whole
 * process, so a failure beside another decode can lose its reason ("Warning treated as error due to failOn
 * setting" without libvips' "premature end of JPEG file"), and the reason is what the user sees.
 */
export async function decodeWithThumb(
  bytes: Buffer,
): Promise<{ width: number; height: number; thumb: Buffer }> {
  try {
    return await decodes.runExclusive(() => decodeOnce(bytes));
  } catch {
    return await decodes.runExclusive(() => decodeOnce(bytes), DECODE_SLOTS);
  }
}

async function decodeOnce(bytes: Buffer): Promise<{ width: number; height: number; thumb: Buffer }> {
  // Header first: a file claiming a huge canvas is refused by name before any pixel is decoded.
  const meta = await sharp(bytes, { animated: false }).metadata();
  if ((meta.width ?? 0) * (meta.height ?? 0) > MAX_PIXELS) {
    throw new Error(
      `image is ${meta.width}×${meta.height} pixels, over the decoder's pixel limit of ${MAX_PIXELS} (${Math.round(MAX_PIXELS / 1e6)} MP)`,
    );
  }
  // failOn 'warning' turns libvips' "premature end of JPEG" into an error instead of a grey half image.
  const { data, info } = await sharp(bytes, { failOn: 'warning', animated: false })
    .rotate()
    .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#202020' })
    .jpeg({ quality: 82, mozjpeg: false })
    .toBuffer({ resolveWithObject: true });
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = (rotated ? meta.height : meta.width) ?? info.width;
  const height = (rotated ? meta.width : meta.height) ?? info.height;
  return { width, height, thumb: data };
}
