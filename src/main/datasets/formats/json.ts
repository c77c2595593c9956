// The app's own JSON (one record per face, everything we know; also read back) and a COCO-style JSON.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isLabelKey } from '../../../shared/taxonomy';
import { MAX_LINE_CHARS, readLines, type Problems } from './text';
import type {
  FaceRecord,
  FormatModule,
  OutputFile,
  ParsedAnnotations,
  ReadContext,
  WriteContext,
} from './types';
import { normaliseLabel, normaliseSplit } from './values';

export const JSON_FILE = 'faces.json';
export const COCO_FILE = 'coco.json';

/** `{"format":…,"faces":[` then one face per line: readable, diffable, and written without building one string. */
export function jsonFiles({ faces }: WriteContext): OutputFile[] {
  return [
    {
      name: JSON_FILE,
      lines: function* () {
        yield `{"format":"faceinsight-faces","version":1,"faces":[`;
        for (let i = 0; i < faces.length; i++) {
          const f = faces[i]!;
          const rec = {
            faceId: f.faceId,
            image: f.relPath,
            split: f.split,
            size: f.width !== null && f.height !== null ? [f.width, f.height] : null,
            face: { idx: f.idx, source: f.faceSource, box: [f.box.x, f.box.y, f.box.w, f.box.h] },
            values: Object.fromEntries(
              Object.keys(f.values)
                .sort()
                .map((k) => [k, { value: f.values[k], source: f.sources[k] }]),
            ),
            labels: f.labels,
            review: f.review ?? 'unreviewed',
            identity: f.identity,
            landmarks: f.landmarks,
            annotation: f.annotation,
            predictions: f.predictions,
          };
          yield JSON.stringify(rec) + (i < faces.length - 1 ? ',' : '');
        }
        yield `]}`;
      },
    },
  ];
}

/** COCO layout: images, one `face` category, each face an annotation carrying its effective values. */
export function cocoFiles({ faces }: WriteContext): OutputFile[] {
  return [
    {
      name: COCO_FILE,
      lines: function* () {
        yield `{"info":{"description":"FaceInsight Studio export"},"categories":[{"id":1,"name":"face"}],`;
        yield `"images":[`;
        const seen = new Set<number>();
        const imgs = faces.filter((f) => !seen.has(f.imageId) && seen.add(f.imageId));
        for (let i = 0; i < imgs.length; i++) {
          const f = imgs[i]!;
          const img = {
            id: f.imageId,
            file_name: f.relPath,
            width: f.width,
            height: f.height,
            split: f.split,
          };
          yield JSON.stringify(img) + (i < imgs.length - 1 ? ',' : '');
        }
        yield `],"annotations":[`;
        for (let i = 0; i < faces.length; i++) {
          const f = faces[i]!;
          const ann = {
            id: f.faceId,
            image_id: f.imageId,
            category_id: 1,
            bbox: [f.box.x, f.box.y, f.box.w, f.box.h],
            area: f.box.w * f.box.h,
            iscrowd: 0,
            attributes: f.values,
            attribute_sources: f.sources,
            review: f.review ?? 'unreviewed',
          };
          yield JSON.stringify(ann) + (i < faces.length - 1 ? ',' : '');
        }
        yield `]}`;
      },
    },
  ];
}

const HEADER = `{"format":"faceinsight-faces","version":1,"faces":[`;
/**
 * Largest faces.json read whole (any layout but the export's own): 64 MiB. JSON.parse holds the text and every
 * object at once (~10x the file in memory); larger files must keep the export's one-face-per-line layout, which
 * is read streaming with the line limit of readLines (MAX_LINE_CHARS).
 */
export const MAX_WHOLE_JSON_BYTES = 64 << 20;

const faceSchema = z.object({
  image: z.string().min(1),
  split: z.string().nullable().optional(),
  face: z.object({
    idx: z.int().nonnegative(),
    source: z.enum(['detected', 'imported']),
    box: z.tuple([z.number(), z.number(), z.number().positive(), z.number().positive()]),
  }),
  values: z.record(z.string(), z.object({ value: z.string(), source: z.string() })),
  identity: z.int().nullable().optional(),
  landmarks: z
    .object({ layout: z.string(), points: z.array(z.number()) })
    .nullable()
    .optional(),
  annotation: z.object({ box: z.boolean() }).loose().nullable().optional(),
});

/** One exported face -> a record: its human and imported values (never predictions) become import labels. */
function toRecord(
  file: string,
  line: number,
  raw: unknown,
  problems: Problems,
  faceNos: Map<string, number>,
): FaceRecord | null {
  const parsed = faceSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    problems.error(file, line, undefined, issue.path.join('.') || undefined, issue.message);
    return null;
  }
  const f = parsed.data;
  const rec: FaceRecord = { file, line, name: f.image, faceNo: faceNos.get(f.image) ?? 0, labels: {} };
  let ok = true;
  // JSON.parse keeps a `__proto__` key as an own property but the schema's copy drops it: name it, never lose it.
  for (const key of Object.keys((raw as { values: object }).values)) {
    if (!Object.hasOwn(f.values, key)) {
      problems.error(file, line, undefined, key, 'unknown label key');
      ok = false;
    }
  }
  for (const [key, v] of Object.entries(f.values)) {
    if (v.source === 'prediction') continue;
    if (!isLabelKey(key)) {
      problems.error(file, line, undefined, key, 'unknown label key');
      ok = false;
      continue;
    }
    const r = normaliseLabel(key, v.value);
    if ('error' in r) {
      problems.error(file, line, undefined, key, r.error);
      ok = false;
    } else rec.labels[key] = r.value;
  }
  if (f.split) {
    const split = normaliseSplit(f.split);
    if (split) rec.split = split;
  }
  // A whole-image face has no box of its own: the import recreates it from the image size.
  if (f.face.source === 'detected' || f.annotation?.box === true) {
    const [x, y, w, h] = f.face.box;
    rec.box = { x, y, w, h };
  }
  if (typeof f.identity === 'number') rec.identity = f.identity;
  if (f.landmarks) rec.landmarks = f.landmarks;
  if (!ok) return null;
  faceNos.set(f.image, rec.faceNo + 1);
  return rec;
}

/** Line and column of a JSON.parse error when V8's message names a position ("… at position N"), else null. */
function positionOf(text: string, message: string): { line: number; column: number } | null {
  const m = /position (\d+)/.exec(message);
  if (!m) return null;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  return { line: before.split('\n').length, column: pos - before.lastIndexOf('\n') };
}

async function readJson(file: string, problems: Problems): Promise<FaceRecord[]> {
  const records: FaceRecord[] = [];
  const faceNos = new Map<string, number>();
  let layout: 'lines' | 'other' | null = null;
  let closed = false;
  // The export's own layout (header, one face per line, `]}`) streams; anything else is parsed whole.
  // A first line this long is no export header: the file is read whole (or refused by its size) below.
  const onTooLong = (n: number, chars: number) => {
    if (n === 1) {
      layout = 'other';
      return false;
    }
    problems.error(
      file,
      n,
      1,
      undefined,
      `line too long: ${chars} characters; the limit is ${MAX_LINE_CHARS}`,
    );
    return !problems.full;
  };
  await readLines(file, { onTooLong }, (line, n) => {
    if (problems.full) return false;
    if (n === 1) {
      layout = line === HEADER ? 'lines' : 'other';
      return layout === 'lines';
    }
    if (line === ']}') {
      closed = true;
      return;
    }
    if (line.trim() === '') return;
    if (closed) {
      problems.error(file, n, 1, undefined, 'text after the end of the faces list');
      return false;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line);
    } catch (err) {
      problems.error(file, n, 1, undefined, `not a JSON face record: ${(err as Error).message}`);
      return;
    }
    const rec = toRecord(file, n, raw, problems, faceNos);
    if (rec) records.push(rec);
  });
  if (layout === 'lines') {
    if (!closed && problems.errors.length === 0)
      problems.error(file, 0, undefined, undefined, 'file ends before "]}"');
    return records;
  }
  if (layout === null) {
    problems.error(file, 1, 1, undefined, 'empty file');
    return records;
  }
  const size = (await stat(file)).size;
  if (size > MAX_WHOLE_JSON_BYTES) {
    problems.error(
      file,
      1,
      1,
      undefined,
      `too large to read whole (${size} bytes; the limit is ${MAX_WHOLE_JSON_BYTES}): keep the export layout (one face per line)`,
    );
    return records;
  }
  const text = await readFile(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const at = positionOf(text, (err as Error).message);
    problems.error(file, at?.line ?? 0, at?.column, undefined, `not JSON: ${(err as Error).message}`);
    return records;
  }
  const faces = (doc as { faces?: unknown } | null)?.faces;
  if ((doc as { format?: unknown } | null)?.format !== 'faceinsight-faces' || !Array.isArray(faces)) {
    problems.error(file, 1, 1, 'format', 'expected {"format": "faceinsight-faces", "faces": [...]}');
    return records;
  }
  // Pretty-printed files have no line per face: errors name the face's position in the list instead.
  faces.forEach((raw, i) => {
    if (problems.full) return;
    const rec = toRecord(file, 0, raw, problems, faceNos);
    if (rec) records.push(rec);
    else if (problems.errors.at(-1)?.where) problems.errors.at(-1)!.message += ` (faces[${i}])`;
  });
  return records;
}

async function read(ctx: ReadContext): Promise<ParsedAnnotations> {
  const file = ctx.isFolder ? join(ctx.source, JSON_FILE) : ctx.source;
  return { records: await readJson(file, ctx.problems), files: [file] };
}

export const json: FormatModule = { id: 'json', read, write: jsonFiles };
