// What a vision LLM sees: the face crop (the box with the review screen's margin) and optionally the whole photo
// with the box drawn, upright, at most `size` px on the longer side, as JPEG data URLs (base64).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { faceCropRegion } from '../review/face-assets';
import type { MllmFaceTarget } from '../store/index';

const dataUrl = (jpeg: Buffer) => `data:image/jpeg;base64,${jpeg.toString('base64')}`;

/** The face crop, and with `whole` the photo with the face's box drawn in red (a stroke of ~1 % of the side). */
export async function faceImages(t: MllmFaceTarget, size: number, whole: boolean): Promise<string[]> {
  const upright = await sharp(await readFile(join(t.root, t.relPath)), { animated: false })
    .rotate()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = upright.info;
  const raw = { raw: { width, height, channels } };
  const crop = await sharp(upright.data, raw)
    .extract(faceCropRegion(t.box, width, height))
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#202020' })
    .jpeg({ quality: 90 })
    .toBuffer();
  if (!whole) return [dataUrl(crop)];
  const { x, y, w, h } = t.box;
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 100));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#ff0000" stroke-width="${stroke}"/></svg>`;
  // Two pipelines: sharp resizes before it composites, whatever the call order, so the full-size box would no
  // longer fit a resized photo.
  const boxed = await sharp(upright.data, raw)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .flatten({ background: '#202020' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const photo = await sharp(boxed.data, { raw: boxed.info })
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 90 })
    .toBuffer();
  return [dataUrl(crop), dataUrl(photo)];
}
