// Image decoding with sharp: EXIF orientation applied, any colour space / depth / alpha / palette to 8-bit sRGB RGB.
import sharp from 'sharp';
import { AppError } from '../../shared/errors';
import type { Raster } from './image-ops';

/** A decoded photo: interleaved 8-bit RGB, upright (EXIF orientation applied). */
export interface DecodedImage extends Raster {
  channels: 3;
  data: Uint8Array;
}

/**
 * Largest pixel count we decode at full resolution. Faces are cropped from the full image, so this only guards
 * memory (3 bytes a pixel: 100 MP is 300 MB); larger images are downscaled to fit and their faces are reported in
 * the downscaled image's pixels, which the caller gets as `width` / `height`.
 */
export const MAX_PIXELS = 100_000_000;

function fileName(input: Buffer | string): string | undefined {
  return typeof input === 'string' ? input : undefined;
}

/** Decodes `input` (a path or the file's bytes); an undecodable file is a `parse_error` naming the file. */
export async function decodeImage(input: Buffer | string): Promise<DecodedImage> {
  const file = fileName(input);
  const where = file ? { where: { file } } : {};
  if (Buffer.isBuffer(input) && input.length === 0) {
    throw new AppError('parse_error', 'The image is empty (0 bytes)', where);
  }
  try {
    // `limitInputPixels: false`: the size guard is ours (MAX_PIXELS), applied by downscaling rather than refusing.
    // `pages: 1` decodes only the first frame of an animated GIF / WebP / multi-page TIFF.
    const meta = await sharp(input, { limitInputPixels: false, pages: 1 }).metadata();
    let pipeline = sharp(input, { limitInputPixels: false, pages: 1, failOn: 'error' })
      .rotate()
      .toColourspace('srgb')
      .removeAlpha();
    const w = meta.autoOrient?.width ?? meta.width ?? 0;
    const h = meta.autoOrient?.height ?? meta.height ?? 0;
    if (w * h > MAX_PIXELS) {
      const scale = Math.sqrt(MAX_PIXELS / (w * h));
      pipeline = pipeline.resize(Math.max(1, Math.floor(w * scale)), Math.max(1, Math.floor(h * scale)), {
        fit: 'fill',
      });
    }
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new AppError('parse_error', `Decoded to ${info.channels} channels, expected RGB`, where);
    }
    return {
      width: info.width,
      height: info.height,
      channels: 3,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (err) {
    if (err instanceof AppError) throw err;
    const reason = (err as Error).message.split('\n')[0] ?? 'unknown error';
    if (typeof input === 'string' && /ENOENT|no such file|file is missing/i.test(reason)) {
      throw new AppError('io_error', `Cannot read ${input}: no such file`, where);
    }
    throw new AppError('parse_error', `Cannot decode the image: ${reason}`, where);
  }
}
