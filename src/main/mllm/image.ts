// The face crop a vision LLM sees: the face box with the review screen's margin, upright, at most `size` px on
// its longer side, as a JPEG data URL (base64, as chat-completions takes images).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { faceCropRegion } from '../review/face-assets';
import type { MllmFaceTarget } from '../store/index';

export async function faceDataUrl(t: MllmFaceTarget, size: number): Promise<string> {
  const upright = await sharp(await readFile(join(t.root, t.relPath)), { animated: false })
    .rotate()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = upright.info;
  const jpeg = await sharp(upright.data, { raw: { width, height, channels } })
    .extract(faceCropRegion(t.box, width, height))
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#202020' })
    .jpeg({ quality: 90 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}
