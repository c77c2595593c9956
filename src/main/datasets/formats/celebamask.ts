// CelebAMask-HQ: CelebAMask-HQ-attribute-anno.txt (CelebA layout) and per-class masks merged into label maps.
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { closest } from '../../../shared/rules';
import { CELEBA_ATTRIBUTES, PARSING_CLASSES, parsingClassId } from '../../../shared/taxonomy';
import { attrFile, readAttr, Records } from './celeba';
import { baseName, findIn, onePerImage, rowName } from './common';
import {
  MASK_ANNO_DIR,
  celebaMaskHqMaskFiles,
  decodeChannel0,
  encodeGrey,
  mapAreas,
  mergeClassMasks,
  type LabelMap,
} from './masks';
import type { Problems } from './text';
import type { FormatModule, OutputFile, ParsedAnnotations, ReadContext, WriteContext } from './types';

export const CELEBAMASK_ATTR = 'CelebAMask-HQ-attribute-anno.txt';
/** The release unpacks into CelebAMask-HQ/; a flat folder works too. */
const SUBS = ['CelebAMask-HQ'];
const CLASS_FILE = /^(\d{1,7})_([A-Za-z_]+)\.png$/;
/** Masks decoded at once: sharp decodes on its own threads, a few in flight keep them busy. */
const CONCURRENCY = 8;

interface ClassFile {
  classId: number;
  path: string;
}

/** Lists `<k>/<05d>_<class>.png` by image number; a bad name or a class named twice is an error. */
async function listClassFiles(dir: string, problems: Problems): Promise<Map<number, ClassFile[]>> {
  const byNumber = new Map<number, ClassFile[]>();
  const seen = new Map<string, string>();
  const subs = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  for (const sub of subs) {
    const names = (await readdir(join(dir, sub))).filter((n) => n.toLowerCase().endsWith('.png')).sort();
    for (const name of names) {
      if (problems.full) return byNumber;
      const path = join(dir, sub, name);
      const m = CLASS_FILE.exec(name);
      if (!m) {
        problems.error(
          path,
          0,
          undefined,
          undefined,
          `expected a mask named <05d>_<class>.png, got "${name}"`,
        );
        continue;
      }
      const cls = m[2] as string;
      const classId = parsingClassId(cls);
      if (classId <= 0) {
        const near = closest(cls, PARSING_CLASSES.slice(1));
        problems.error(
          path,
          0,
          undefined,
          cls,
          `unknown mask class${near ? ` (did you mean "${near}"?)` : ''}`,
        );
        continue;
      }
      const n = Number(m[1]);
      const key = `${n}_${cls}`;
      const first = seen.get(key);
      if (first !== undefined) {
        problems.error(path, 0, undefined, cls, `mask ${key} given twice (also ${first})`);
        continue;
      }
      seen.set(key, `${sub}/${name}`);
      let list = byNumber.get(n);
      if (!list) byNumber.set(n, (list = []));
      list.push({ classId, path });
    }
  }
  return byNumber;
}

/** The image a mask number belongs to: `<n>.<ext>` among the dataset's images, else `<n>.jpg` (warned later). */
function imageNames(imagePaths: readonly string[]): Map<string, string> {
  const byStem = new Map<string, string>();
  for (const p of imagePaths) {
    const b = baseName(p);
    byStem.set(b.replace(/\.[^.]+$/, ''), b);
  }
  return byStem;
}

/** A class mask's first channel, or null after reporting a file sharp cannot decode (empty, cut, not a PNG). */
async function decodeMask(dir: string, path: string, problems: Problems): Promise<LabelMap | null> {
  try {
    return await decodeChannel0(path);
  } catch (err) {
    const rel = relative(dir, path).split(sep).join('/');
    const why = (err as Error).message;
    problems.error(path, 0, undefined, undefined, `${rel}: not a readable PNG mask (${why})`);
    return null;
  }
}

async function readMasks(dir: string, ctx: ReadContext, recs: Records): Promise<void> {
  const { problems } = ctx;
  const byNumber = await listClassFiles(dir, problems);
  if (problems.errors.length > 0) return;
  const names = imageNames(ctx.imagePaths);
  const numbers = [...byNumber.keys()].sort((a, b) => a - b);
  let next = 0;
  const worker = async () => {
    while (next < numbers.length && !problems.full) {
      const n = numbers[next++] as number;
      const parts = byNumber.get(n) as ClassFile[];
      const decoded = await Promise.all(parts.map((p) => decodeMask(dir, p.path, problems)));
      if (decoded.some((m) => m === null)) continue;
      const maps = decoded as LabelMap[];
      const first = maps[0]!;
      const odd = maps.findIndex((m) => m.width !== first.width || m.height !== first.height);
      if (odd >= 0) {
        problems.error(
          parts[odd]!.path,
          0,
          undefined,
          undefined,
          `mask is ${maps[odd]!.width}x${maps[odd]!.height}, the image's other masks are ${first.width}x${first.height}`,
        );
        continue;
      }
      const ids = mergeClassMasks(
        first.width,
        first.height,
        parts.map((p, i) => ({ classId: p.classId, ids: maps[i]!.ids })),
      );
      const name = names.get(String(n)) ?? `${n}.jpg`;
      const rec = recs.get(name, parts[0]!.path, 0);
      rec.mask = { png: await encodeGrey(first.width, first.height, ids), areas: mapAreas(ids) };
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function read(ctx: ReadContext): Promise<ParsedAnnotations> {
  const recs = new Records();
  const { problems } = ctx;
  if (!ctx.isFolder) {
    await readAttr(ctx.source, problems, recs);
    return { records: recs.order, files: [ctx.source] };
  }
  const files: string[] = [];
  const attr = findIn(ctx.source, CELEBAMASK_ATTR, SUBS);
  const masks = findIn(ctx.source, MASK_ANNO_DIR, SUBS);
  if (attr) {
    files.push(attr);
    await readAttr(attr, problems, recs);
  }
  if (masks && !problems.full) {
    files.push(masks);
    await readMasks(masks, ctx, recs);
  }
  if (!attr && !masks)
    problems.error(ctx.source, 0, undefined, undefined, `no ${CELEBAMASK_ATTR} or ${MASK_ANNO_DIR}/ found`);
  return { records: recs.order, files };
}

/** The attribute list (when any face has CelebA attributes) and the per-class mask layout. */
async function write(ctx: WriteContext): Promise<OutputFile[]> {
  const chosen = onePerImage(ctx.faces);
  const out: OutputFile[] = [];
  if (chosen.some((f) => CELEBA_ATTRIBUTES.some((a) => f.values[a] !== undefined)))
    out.push(attrFile(CELEBAMASK_ATTR, chosen, ctx.problems, (f) => rowName(f, 'celebamask-hq')));
  out.push(...(await celebaMaskHqMaskFiles({ ...ctx, faces: chosen })));
  return out;
}

export const celebamaskHq: FormatModule = { id: 'celebamask-hq', read, write };
