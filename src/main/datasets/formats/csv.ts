// Generic CSV / TSV: a header row and a column mapping (label key -> column) into import labels, and back.
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { closest } from '../../../shared/rules';
import { LABEL_KEYS, isLabelKey, type LabelKey } from '../../../shared/taxonomy';
import { onePerImage } from './common';
import { csvCell, fieldTooLong, readLines, splitCsv, type Problems, type Token } from './text';
import type {
  Box,
  FaceRecord,
  FormatModule,
  OutputFile,
  ParsedAnnotations,
  ReadContext,
  WriteContext,
} from './types';
import { normaliseLabel, normaliseSplit } from './values';

export const CSV_FILE = 'labels.csv';
/** Mapping targets besides the label keys: the image, its split and a face box in image pixels. */
const FIELDS = ['file', 'split', 'x', 'y', 'w', 'h'] as const;
const BOX = ['x', 'y', 'w', 'h'] as const;
/** Column names taken as the image column when no mapping names one. */
const FILE_COLUMNS = ['file', 'image', 'image_id', 'filename', 'file_name', 'path', 'name'];

/** Tab for .tsv files and for headers that hold a tab and no comma; else comma. */
function separatorOf(file: string, header: string): string {
  if (extname(file).toLowerCase() === '.tsv') return '\t';
  return header.includes('\t') && !header.includes(',') ? '\t' : ',';
}

/** Target -> column index: the given mapping checked against the header, or the header's own known names. */
function resolveMapping(
  file: string,
  header: Token[],
  map: Record<string, string> | undefined,
  problems: Problems,
): Map<string, number> | null {
  const names = header.map((t) => t.text.trim());
  const out = new Map<string, number>();
  if (map) {
    const targets = [...FIELDS, ...LABEL_KEYS];
    for (const [target, column] of Object.entries(map)) {
      if (!(FIELDS as readonly string[]).includes(target) && !isLabelKey(target)) {
        const near = closest(target, targets);
        problems.error(
          file,
          1,
          undefined,
          target,
          `mapping names an unknown label${near ? ` (did you mean "${near}"?)` : ''}`,
        );
        continue;
      }
      const i = names.indexOf(column);
      if (i < 0) {
        const near = closest(column, names);
        problems.error(
          file,
          1,
          1,
          target,
          `mapped column "${column}" is not in the header${near ? ` (did you mean "${near}"?)` : ''}`,
        );
        continue;
      }
      out.set(target, i);
    }
  } else {
    const fileCol = names.findIndex((n) => FILE_COLUMNS.includes(n.toLowerCase()));
    if (fileCol >= 0) out.set('file', fileCol);
    names.forEach((n, i) => {
      if (i !== fileCol && ((FIELDS as readonly string[]).includes(n) || isLabelKey(n))) out.set(n, i);
    });
  }
  if (!out.has('file') && problems.errors.length === 0)
    problems.error(
      file,
      1,
      1,
      'file',
      `no image column: name one with a mapping (file=<column>) or call it one of ${FILE_COLUMNS.join(', ')}`,
    );
  const box = BOX.filter((k) => out.has(k));
  if (box.length > 0 && box.length < 4)
    problems.error(file, 1, 1, box[0], 'a face box needs all of x, y, w, h mapped');
  if (out.size === 1 && out.has('file') && problems.errors.length === 0)
    problems.error(file, 1, 1, undefined, 'no label column: map at least one label key to a column');
  return problems.errors.length > 0 ? null : out;
}

async function readCsvFile(
  file: string,
  ctx: ReadContext,
  records: FaceRecord[],
  faces: Map<string, number>,
): Promise<void> {
  const { problems } = ctx;
  let sep = ',';
  let width = 0;
  let cols: Map<string, number> | null = null;
  let hasBox = false;
  let rows = 0;
  const lines = await readLines(file, { problems }, (line, n) => {
    if (problems.full) return false;
    if (n === 1) {
      sep = separatorOf(file, line);
      const header = splitCsv(line, sep);
      if (fieldTooLong(file, n, header, problems)) return false;
      width = header.length;
      cols = resolveMapping(file, header, ctx.map, problems);
      hasBox = cols?.has('x') ?? false;
      return cols !== null;
    }
    if (line.trim() === '') return;
    rows++;
    const cells = splitCsv(line, sep);
    if (fieldTooLong(file, n, cells, problems)) return;
    if (cells.length !== width) {
      const at = cells[width] ?? cells.at(-1);
      problems.error(
        file,
        n,
        at?.column,
        undefined,
        `wrong column count: expected ${width}, got ${cells.length}`,
      );
      return;
    }
    const c = cols as unknown as Map<string, number>;
    const cell = (k: string) => cells[c.get(k) as number] as Token;
    const name = cell('file').text.trim();
    if (name === '') {
      problems.error(file, n, cell('file').column, 'file', 'empty image name');
      return;
    }
    const before = faces.get(name) ?? 0;
    // One row per image, unless rows carry boxes: then each row is one face of its image (ExpW-like files).
    if (before > 0 && !hasBox) {
      problems.error(file, n, cell('file').column, 'file', `duplicate file name "${name}"`);
      return;
    }
    const rec: FaceRecord = { file, line: n, name, faceNo: before, labels: {} };
    let ok = true;
    for (const [key, i] of c) {
      const t = cells[i] as Token;
      if ((FIELDS as readonly string[]).includes(key) || t.text.trim() === '') continue;
      const r = normaliseLabel(key as LabelKey, t.text);
      if ('error' in r) {
        problems.error(file, n, t.column, key, r.error);
        ok = false;
      } else rec.labels[key] = r.value;
    }
    if (c.has('split') && cell('split').text.trim() !== '') {
      const split = normaliseSplit(cell('split').text);
      if (split) rec.split = split;
      else {
        problems.error(
          file,
          n,
          cell('split').column,
          'split',
          `expected train, val or test, got "${cell('split').text}"`,
        );
        ok = false;
      }
    }
    if (hasBox) {
      const v = BOX.map((k) => Number(cell(k).text.trim()));
      const bad = BOX.findIndex(
        (k, i) => cell(k).text.trim() === '' || !Number.isFinite(v[i]) || (i >= 2 && (v[i] as number) <= 0),
      );
      if (bad >= 0) {
        const k = BOX[bad] as string;
        problems.error(
          file,
          n,
          cell(k).column,
          k,
          `expected a ${bad >= 2 ? 'positive ' : ''}number, got "${cell(k).text}"`,
        );
        ok = false;
      } else rec.box = { x: v[0], y: v[1], w: v[2], h: v[3] } as Box;
    }
    if (!ok) return;
    faces.set(name, before + 1);
    records.push(rec);
  });
  if (lines === 0) problems.error(file, 1, 1, undefined, 'empty file');
  else if (cols && rows === 0) problems.error(file, 2, 1, undefined, 'no rows after the header');
}

async function read(ctx: ReadContext): Promise<ParsedAnnotations> {
  const records: FaceRecord[] = [];
  const files = ctx.isFolder
    ? (await readdir(ctx.source))
        .filter((f) => /\.(csv|tsv)$/i.test(f))
        .sort()
        .map((f) => join(ctx.source, f))
    : [ctx.source];
  if (files.length === 0)
    ctx.problems.error(ctx.source, 0, undefined, undefined, 'no .csv or .tsv file found');
  const faces = new Map<string, number>();
  for (const f of files) if (!ctx.problems.full) await readCsvFile(f, ctx, records, faces);
  return { records, files };
}

/**
 * labels.csv: `file`, `split`, then every label key any face has (canonical order) under its canonical name;
 * with x,y,w,h when an image has several faces or a face came with its own box. Empty cell = no value.
 */
function write({ faces }: WriteContext): OutputFile[] {
  const perImage = new Map<number, number>();
  for (const f of faces) perImage.set(f.imageId, (perImage.get(f.imageId) ?? 0) + 1);
  const multi = [...perImage.values()].some((n) => n > 1);
  const chosen = multi ? faces : onePerImage(faces);
  const boxed = multi || chosen.some((f) => f.annotation?.box === true || f.faceSource === 'detected');
  const keys = LABEL_KEYS.filter((k) => chosen.some((f) => f.values[k] !== undefined));
  return [
    {
      name: CSV_FILE,
      lines: function* () {
        yield ['file', 'split', ...(boxed ? BOX : []), ...keys].join(',');
        for (const f of chosen) {
          const box = boxed ? [f.box.x, f.box.y, f.box.w, f.box.h].map(String) : [];
          yield [f.relPath, f.split ?? '', ...box, ...keys.map((k) => f.values[k] ?? '')]
            .map((c) => csvCell(c))
            .join(',');
        }
      },
    },
  ];
}

export const csv: FormatModule = { id: 'csv', read, write };
