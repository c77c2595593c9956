// Face assets: a cached face crop (with margin) from the original image, and a face's mask PNG from the database.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import writeFileAtomic from 'write-file-atomic';
import { AppError } from '../../shared/errors';
import type { MaskRecord, Store } from '../store/index';
import { MASK_PRECEDENCE } from '../store/repositories/faces';

/** Longest side of a face crop: the gallery's tile size, and enough for the review screen's thumbnail strip. */
export const FACE_CROP_SIZE = 256;
/** Margin around the face box on each side, as a share of the box's longer side (hair and chin stay in view). */
export const FACE_CROP_MARGIN = 0.25;

/** The square crop around a face box, clamped to the image. */
export function faceCropRegion(
  box: { x: number; y: number; w: number; h: number },
  width: number,
  height: number,
): { left: number; top: number; width: number; height: number } {
  const side = Math.max(box.w, box.h) * (1 + 2 * FACE_CROP_MARGIN);
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  const left = Math.max(0, Math.floor(cx - side / 2));
  const top = Math.max(0, Math.floor(cy - side / 2));
  const right = Math.min(width, Math.ceil(cx + side / 2));
  const bottom = Math.min(height, Math.ceil(cy + side / 2));
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
}

/** Cache file of a face crop: keyed by the image's bytes and the box, so a moved box is a new file. */
export function faceCropPath(
  thumbsDir: string,
  sha256: string,
  faceId: number,
  box: { x: number; y: number; w: number; h: number },
): string {
  const b = [box.x, box.y, box.w, box.h].map((v) => Math.round(v)).join('-');
  return join(thumbsDir, 'faces', sha256.slice(0, 2), `${sha256}-${faceId}-${b}.jpg`);
}

type Pixels = { data: Buffer; info: OutputInfo };
/** Decoded upright images by sha256, newest last: a photo's faces sit side by side in the gallery. */
const decoded = new Map<string, Promise<Pixels>>();
/** Bytes of the decoded images that have arrived, by sha256 (a 24 MP photo is 72 MB of RGB). */
const decodedBytes = new Map<string, number>();
const DECODED_KEEP = 4;
const DECODED_MAX_BYTES = 128 * 2 ** 20;

/** Drops the oldest entries past the count or the byte budget; the newest always stays. */
function trimDecoded(): void {
  let bytes = 0;
  for (const n of decodedBytes.values()) bytes += n;
  while (decoded.size > 1 && (decoded.size > DECODED_KEEP || bytes > DECODED_MAX_BYTES)) {
    const oldest = decoded.keys().next().value!;
    decoded.delete(oldest);
    bytes -= decodedBytes.get(oldest) ?? 0;
    decodedBytes.delete(oldest);
  }
}

/**
 * The upright (EXIF-rotated) pixels of an image, decoded once for all its faces' crops: re-decoding a large
 * photo per face made a gallery page of a crowd photo cost one full decode per tile.
 */
function uprightPixels(sha256: string, path: () => Promise<string>): Promise<Pixels> {
  let pixels = decoded.get(sha256);
  if (pixels) decoded.delete(sha256);
  else {
    pixels = path().then(async (src) =>
      sharp(await readFile(src), { animated: false })
        .rotate()
        .raw()
        .toBuffer({ resolveWithObject: true }),
    );
    // Once decoded, its size counts against the budget; a failed decode is not remembered (the next request
    // tries again and reports its own error).
    pixels.then(
      (p) => {
        if (decoded.get(sha256) !== pixels) return;
        decodedBytes.set(sha256, p.data.length);
        trimDecoded();
      },
      () => {
        if (decoded.get(sha256) === pixels) decoded.delete(sha256);
      },
    );
  }
  decoded.set(sha256, pixels);
  trimDecoded();
  return pixels;
}

/** Writes (atomically) and returns the cached JPEG crop of one face; `original` reads the guarded source file. */
export async function faceCrop(
  store: Store,
  thumbsDir: string,
  faceId: number,
  original: (root: string, relPath: string) => Promise<string>,
): Promise<string> {
  const face = store.faces.get(faceId);
  if (!face) throw new AppError('not_found', `face ${faceId} not found`);
  const image = store.images.locate(face.imageId);
  if (!image || image.status !== 'ok' || !image.sha256) {
    throw new AppError('not_found', `face ${faceId} has no readable image`);
  }
  const file = faceCropPath(thumbsDir, image.sha256, faceId, face);
  if (existsSync(file)) return file;
  const upright = await uprightPixels(image.sha256, () => original(image.root, image.relPath));
  const region = faceCropRegion(face, upright.info.width, upright.info.height);
  const { width, height, channels } = upright.info;
  const jpeg = await sharp(upright.data, { raw: { width, height, channels } })
    .extract(region)
    .resize(FACE_CROP_SIZE, FACE_CROP_SIZE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#202020' })
    .jpeg({ quality: 85 })
    .toBuffer();
  await mkdir(dirname(file), { recursive: true });
  // No fsync: a cache entry, rebuilt from the image if a power cut ever loses it.
  await writeFileAtomic(file, jpeg, { fsync: false });
  return file;
}

/**
 * A face's mask: the given source and version, or (without them) the one rules read first (MASK_PRECEDENCE,
 * newest version). Masks live in the database, never on disk, so no path is involved.
 */
export function pickMask(
  store: Store,
  faceId: number,
  params: { source?: string | null; version?: string | null },
): MaskRecord {
  if (!store.faces.get(faceId)) throw new AppError('not_found', `face ${faceId} not found`);
  const { source, version } = params;
  if (source && !(MASK_PRECEDENCE as readonly string[]).includes(source)) {
    throw new AppError('invalid_request', `unknown mask source "${source}"`, { where: { field: 'source' } });
  }
  const v = version ? Number(version) : null;
  if (version && !(Number.isSafeInteger(v) && (v as number) > 0)) {
    throw new AppError('invalid_request', `mask version must be a positive integer`, {
      where: { field: 'version' },
    });
  }
  const masks = store.faces.masks(faceId);
  const rank = (m: MaskRecord) => MASK_PRECEDENCE.indexOf(m.source);
  const found = masks
    .filter((m) => (!source || m.source === source) && (v === null || m.version === v))
    .sort((a, b) => rank(a) - rank(b) || b.version - a.version)[0];
  if (!found) {
    const which = source ? ` ${source}${v ? ` v${v}` : ''}` : '';
    throw new AppError('not_found', `face ${faceId} has no${which} mask`);
  }
  return found;
}
