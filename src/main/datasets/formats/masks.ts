// Mask PNGs: label maps in canonical ids, CelebAMask-HQ's per-class files, and merging those back into one map.
import sharp from 'sharp';
import { PARSING_CLASSES } from '../../../shared/taxonomy';
import { baseName } from './common';
import type { Box, ExportFace, FaceMask, OutputFile, WriteContext } from './types';

/** CelebAMask-HQ's folder of per-class masks, 2,000 images per numbered sub-folder. */
export const MASK_ANNO_DIR = 'CelebAMask-HQ-mask-anno';
export const MASKS_DIR = 'masks';
export const MASKS_INDEX = 'masks.json';
const PER_FOLDER = 2000;

export interface LabelMap {
  width: number;
  height: number;
  ids: Uint8Array;
}

/** Channel 0 of any PNG (grey, grey+alpha, RGB: CelebAMask-HQ's class files come in all three). */
export async function decodeChannel0(png: Buffer | string): Promise<LabelMap> {
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    ids: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/** Single-channel 8-bit PNG, lossless (reading it back gives the same bytes). */
export async function encodeGrey(width: number, height: number, px: Uint8Array): Promise<Buffer> {
  // Without toColourspace('b-w') sharp widens a one-channel raw input to sRGB (three channels) on output.
  return sharp(Buffer.from(px.buffer, px.byteOffset, px.length), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 9, palette: false })
    .toBuffer();
}

/** Share of the map per canonical class, every class listed (a CelebAMask-HQ map expresses all 19). */
export function mapAreas(ids: Uint8Array): { classes: string[]; fraction: Record<string, number> } {
  const counts = new Array<number>(PARSING_CLASSES.length).fill(0);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i] as number;
    if (v < counts.length) counts[v]!++;
  }
  const fraction: Record<string, number> = {};
  PARSING_CLASSES.forEach((c, i) => (fraction[c] = ids.length ? (counts[i] as number) / ids.length : 0));
  return { classes: [...PARSING_CLASSES], fraction };
}

/**
 * Merges per-class binary masks into one label map. Classes are painted in canonical order, so where two
 * overlap the later class wins (hair over skin, hat over hair) — the order CelebAMask-HQ's own g_mask.py uses.
 */
export function mergeClassMasks(
  width: number,
  height: number,
  parts: readonly { classId: number; ids: Uint8Array }[],
): Uint8Array {
  const out = new Uint8Array(width * height);
  for (const p of [...parts].sort((a, b) => a.classId - b.classId))
    for (let i = 0; i < out.length; i++) if (p.ids[i] !== 0) out[i] = p.classId;
  return out;
}

/** CelebAMask-HQ's path of one class file: `<k>/<05d>_<class>.png`, k = number / 2000. */
export function classFileName(n: number, cls: string): string {
  return `${MASK_ANNO_DIR}/${Math.floor(n / PER_FOLDER)}/${String(n).padStart(5, '0')}_${cls}.png`;
}

interface Masked {
  face: ExportFace;
  mask: FaceMask;
  width: number;
  height: number;
  present: number[];
}

/** Every exported face with a mask, decoded once to learn its size and which classes it holds. */
async function maskedFaces(ctx: WriteContext): Promise<Masked[]> {
  const out: Masked[] = [];
  if (!ctx.masks) return out;
  for (const face of ctx.faces) {
    const mask = ctx.masks(face.faceId);
    if (!mask) continue;
    const map = await decodeChannel0(mask.png);
    const seen = new Uint8Array(256);
    for (let i = 0; i < map.ids.length; i++) seen[map.ids[i] as number] = 1;
    const present: number[] = [];
    for (let c = 1; c < PARSING_CLASSES.length; c++) if (seen[c]) present.push(c);
    out.push({ face, mask, width: map.width, height: map.height, present });
  }
  return out;
}

/**
 * CelebAMask-HQ numbers: the image's own number when every masked face is the only one of an image named
 * `<number>.<ext>` (a CelebA-HQ export), else the face's position in the export (masks.json maps it back).
 */
function numbers(masked: readonly Masked[]): number[] {
  const own = masked.map((m) => /^(\d{1,7})\.[^.]+$/.exec(baseName(m.face.relPath))?.[1]);
  const distinct = new Set(own);
  if (own.every((n) => n !== undefined) && distinct.size === own.length) return own.map(Number);
  return masked.map((_, i) => i);
}

function perClassFiles(masked: readonly Masked[], nums: readonly number[]): OutputFile[] {
  const files: OutputFile[] = [];
  masked.forEach((m, i) => {
    for (const c of m.present) {
      files.push({
        name: classFileName(nums[i] as number, PARSING_CLASSES[c] as string),
        bytes: async () => {
          const map = await decodeChannel0(m.mask.png);
          const px = new Uint8Array(map.ids.length);
          for (let p = 0; p < px.length; p++) if (map.ids[p] === c) px[p] = 255;
          return encodeGrey(map.width, map.height, px);
        },
      });
    }
  });
  return files;
}

/** `<dir>/<stem>_<idx>.png` under masks/: one label map per face, named after its image. */
function labelMapName(f: ExportFace): string {
  const stem = f.relPath.replace(/\.[^./]+$/, '');
  return `${MASKS_DIR}/${stem}_${f.idx}.png`;
}

interface IndexEntry {
  faceId: number;
  image: string;
  idx: number;
  file: string;
  number: number;
  source: string;
  version: number;
  box: Box;
  size: [number, number];
  classes: string[];
}

/**
 * `masks` export: per face its best mask (human > import > model > derived) as a single-channel label map in
 * canonical ids, the same maps in CelebAMask-HQ's per-class layout (255 where the class is), and masks.json
 * tying both to images, boxes (image pixels the map covers) and mask sources.
 */
export async function maskFiles(ctx: WriteContext): Promise<OutputFile[]> {
  const masked = await maskedFaces(ctx);
  const nums = numbers(masked);
  const files: OutputFile[] = masked.map((m) => ({
    name: labelMapName(m.face),
    bytes: async () => {
      const map = await decodeChannel0(m.mask.png);
      return encodeGrey(map.width, map.height, map.ids);
    },
  }));
  const index: IndexEntry[] = masked.map((m, i) => ({
    faceId: m.face.faceId,
    image: m.face.relPath,
    idx: m.face.idx,
    file: labelMapName(m.face),
    number: nums[i] as number,
    source: m.mask.source,
    version: m.mask.version,
    box: m.mask.box,
    size: [m.width, m.height],
    classes: m.present.map((c) => PARSING_CLASSES[c] as string),
  }));
  const unmasked = ctx.faces.length - masked.length;
  if (unmasked > 0)
    ctx.problems.warn(MASKS_INDEX, 0, undefined, `${unmasked} face(s) have no mask; left out`);
  files.push(...perClassFiles(masked, nums));
  files.push({
    name: MASKS_INDEX,
    lines: function* () {
      yield `{"format":"faceinsight-masks","version":1,"classes":${JSON.stringify(PARSING_CLASSES)},"faces":[`;
      for (let i = 0; i < index.length; i++)
        yield JSON.stringify(index[i]) + (i < index.length - 1 ? ',' : '');
      yield `]}`;
    },
  });
  return files;
}

/** Only the per-class layout (what a CelebAMask-HQ export writes beside its attribute file). */
export async function celebaMaskHqMaskFiles(ctx: WriteContext): Promise<OutputFile[]> {
  const masked = await maskedFaces(ctx);
  return perClassFiles(masked, numbers(masked));
}
