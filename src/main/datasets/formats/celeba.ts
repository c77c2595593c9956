// CelebA: list_attr_celeba.txt, list_eval_partition.txt, list_bbox_celeba.txt, landmarks, identity_CelebA.txt.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CELEBA_ATTRIBUTES, isCelebaAttribute } from '../../../shared/taxonomy';
import { closest } from '../../../shared/rules';
import { readLines, splitWhitespace, type Problems, type Token } from './text';
import type {
  ExportFace,
  FaceRecord,
  FormatModule,
  OutputFile,
  ParsedAnnotations,
  ReadContext,
} from './types';
import { onePerImage, rowName } from './common';

export const CELEBA_FILES = {
  attr: 'list_attr_celeba.txt',
  partition: 'list_eval_partition.txt',
  bbox: 'list_bbox_celeba.txt',
  landmarksAlign: 'list_landmarks_align_celeba.txt',
  landmarks: 'list_landmarks_celeba.txt',
  identity: 'identity_CelebA.txt',
} as const;

const PARTITIONS = ['train', 'val', 'test'] as const;
const BBOX_HEADER = ['image_id', 'x_1', 'y_1', 'width', 'height'];
const LANDMARK_HEADER = [
  'lefteye_x',
  'lefteye_y',
  'righteye_x',
  'righteye_y',
  'nose_x',
  'nose_y',
  'leftmouth_x',
  'leftmouth_y',
  'rightmouth_x',
  'rightmouth_y',
];
const LAYOUT_ALIGN = 'celeba-align5';
const LAYOUT_WILD = 'celeba5';

/** The real release keeps its lists in Anno/ and Eval/; a flat folder works too. */
function findFile(folder: string, name: string): string | null {
  for (const sub of ['', 'Anno', 'Eval', 'anno', 'eval']) {
    const p = join(folder, sub, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Records of one dataset merged by image name, in first-mention order. */
export class Records {
  readonly byName = new Map<string, FaceRecord>();
  readonly order: FaceRecord[] = [];
  get(name: string, file: string, line: number): FaceRecord {
    let r = this.byName.get(name);
    if (!r) {
      r = { file, line, name, faceNo: 0, labels: {} };
      this.byName.set(name, r);
      this.order.push(r);
    }
    return r;
  }
}

interface TableSpec {
  /** Count line then a header line (attr, bbox, landmarks) or neither (partition, identity). */
  counted: boolean;
  /** Checks the header tokens (counted files only); returns per-column field names. */
  header?: (tokens: Token[], line: number) => string[] | null;
  /** Number of value columns after the name when there is no header. */
  columns?: number;
  row: (name: string, values: Token[], fields: string[], line: number) => void;
  /**
   * Optional fast path for well-formed rows: `parse` returns the row's name (keeping its values aside) or null,
   * and then the row goes through the token path, which reports what is wrong with column numbers.
   */
  fast?: {
    parse: (line: string, fields: string[]) => string | null;
    commit: (name: string, line: number) => void;
  };
}

/** Reads one CelebA list: count + header (if any), rows of `name v1 v2 …` with any run of spaces between. */
async function readTable(file: string, problems: Problems, spec: TableSpec): Promise<void> {
  let fields: string[] | null = spec.counted ? null : [];
  let declared = -1;
  let rows = 0;
  const seen = new Map<string, number>();
  const lines = await readLines(file, { problems }, (line, n) => {
    if (problems.full) return false;
    if (spec.fast && fields !== null && (n > 2 || !spec.counted)) {
      const name = spec.fast.parse(line, fields);
      if (name !== null && !seen.has(name)) {
        seen.set(name, n);
        rows++;
        spec.fast.commit(name, n);
        return;
      }
    }
    const tokens = splitWhitespace(line);
    if (spec.counted && n === 1) {
      const t = tokens[0];
      if (tokens.length !== 1 || !t || !/^\d+$/.test(t.text)) {
        problems.error(
          file,
          1,
          t?.column ?? 1,
          undefined,
          `header missing: expected the image count on line 1, got "${line.trim()}"`,
        );
        return false;
      }
      declared = Number(t.text);
      return;
    }
    if (spec.counted && n === 2) {
      fields = spec.header ? spec.header(tokens, n) : null;
      return fields !== null;
    }
    if (tokens.length === 0) return; // blank lines (a trailing one is common)
    const cols = spec.columns ?? (fields as string[] | null)?.length ?? 0;
    const name = tokens[0] as Token;
    if (tokens.length !== cols + 1) {
      problems.error(
        file,
        n,
        (tokens[cols + 1] ?? tokens.at(-1) ?? name).column,
        undefined,
        `wrong column count: expected ${cols + 1} (a file name and ${cols} values), got ${tokens.length}`,
      );
      return;
    }
    const first = seen.get(name.text);
    if (first !== undefined) {
      problems.error(
        file,
        n,
        name.column,
        undefined,
        `duplicate file name "${name.text}" (first on line ${first})`,
      );
      return;
    }
    seen.set(name.text, n);
    rows++;
    spec.row(name.text, tokens.slice(1), fields ?? [], n);
  });
  if (lines === 0) {
    problems.error(file, 1, 1, undefined, 'empty file');
    return;
  }
  if (spec.counted && lines < 2 && declared >= 0) {
    problems.error(file, 2, 1, undefined, 'header missing: expected a header line after the count');
    return;
  }
  if (spec.counted && fields !== null && declared !== rows && problems.errors.length === 0) {
    problems.error(
      file,
      1,
      1,
      undefined,
      `the count line says ${declared} images, the file has ${rows} rows`,
    );
  }
}

function intCell(file: string, problems: Problems, t: Token, field: string, line: number): number | null {
  if (!/^-?\d+$/.test(t.text)) {
    problems.error(file, line, t.column, field, `expected an integer, got "${t.text}"`);
    return null;
  }
  return Number(t.text);
}

/** list_attr_celeba.txt (also what a single --annotations file is read as). */
export async function readAttr(file: string, problems: Problems, recs: Records): Promise<void> {
  let template: Record<string, string> | undefined;
  let pending: Record<string, string> | null = null;
  const store = (name: string, labels: Record<string, string>, line: number) => {
    const rec = recs.get(name, file, line);
    if (Object.keys(rec.labels).length === 0) rec.labels = labels;
    else Object.assign(rec.labels, labels);
  };
  await readTable(file, problems, {
    counted: true,
    fast: {
      // 200k rows x 41 cells: a char loop straight into the labels, no token objects (they were most of the GC).
      parse: (line, fields) => {
        template ??= JSON.parse(JSON.stringify(Object.fromEntries(fields.map((f) => [f, ''])))) as Record<
          string,
          string
        >;
        const n = line.length;
        let i = 0;
        let c = line.charCodeAt(0);
        while (i < n && (c === 32 || c === 9)) c = line.charCodeAt(++i);
        const start = i;
        while (i < n && c !== 32 && c !== 9) c = line.charCodeAt(++i);
        if (i === start) return null;
        const name = line.slice(start, i);
        const labels = { ...template };
        let k = 0;
        for (;;) {
          while (i < n && (c === 32 || c === 9)) c = line.charCodeAt(++i);
          if (i >= n) break;
          if (k >= fields.length) return null;
          let v: string;
          if (c === 49) v = '1';
          else if (c === 45 && line.charCodeAt(i + 1) === 49) {
            v = '-1';
            i++;
          } else return null;
          c = line.charCodeAt(++i);
          if (i < n && c !== 32 && c !== 9) return null;
          labels[fields[k++] as string] = v;
        }
        if (k !== fields.length) return null;
        pending = labels;
        return name;
      },
      commit: (name, line) => store(name, pending as Record<string, string>, line),
    },
    header: (tokens, line) => {
      if (tokens.length === 0) {
        problems.error(file, line, 1, undefined, 'header missing: expected the attribute names on line 2');
        return null;
      }
      const seen = new Set<string>();
      let ok = true;
      for (const t of tokens) {
        if (!isCelebaAttribute(t.text)) {
          const near = closest(t.text, CELEBA_ATTRIBUTES);
          problems.error(
            file,
            line,
            t.column,
            t.text,
            `unknown attribute name${near ? ` (did you mean "${near}"?)` : ''}`,
          );
          ok = false;
        } else if (seen.has(t.text)) {
          problems.error(file, line, t.column, t.text, 'attribute named twice in the header');
          ok = false;
        }
        seen.add(t.text);
      }
      return ok ? tokens.map((t) => t.text) : null;
    },
    row: (name, values, fields, line) => {
      // Rows copy one template so all 200k label objects share a fast V8 shape; adding 40 computed keys to
      // `{}` one by one turns each into a dictionary (~3 KB a row instead of ~0.4 KB).
      template ??= JSON.parse(JSON.stringify(Object.fromEntries(fields.map((f) => [f, ''])))) as Record<
        string,
        string
      >;
      let labels: Record<string, string> | null = { ...template };
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as Token;
        if (v.text !== '1' && v.text !== '-1') {
          problems.error(file, line, v.column, fields[i], `expected 1 or -1, got "${v.text}"`);
          labels = null;
        } else if (labels) labels[fields[i] as string] = v.text;
      }
      if (labels) store(name, labels, line);
    },
  });
}

async function readPartition(file: string, problems: Problems, recs: Records): Promise<void> {
  await readTable(file, problems, {
    counted: false,
    columns: 1,
    row: (name, [v], _f, line) => {
      const split = PARTITIONS[Number(v?.text)];
      if (!v || !/^[012]$/.test(v.text) || !split) {
        problems.error(
          file,
          line,
          v?.column,
          'partition',
          `expected 0 (train), 1 (val) or 2 (test), got "${v?.text}"`,
        );
        return;
      }
      recs.get(name, file, line).split = split;
    },
  });
}

function fixedHeader(file: string, problems: Problems, expected: string[]) {
  return (tokens: Token[], line: number): string[] | null => {
    const names = tokens.map((t) => t.text);
    if (names.join(' ') !== expected.join(' ')) {
      problems.error(
        file,
        line,
        tokens[0]?.column ?? 1,
        undefined,
        `header missing: expected "${expected.join(' ')}", got "${names.join(' ')}"`,
      );
      return null;
    }
    // The bbox header names the file column (image_id); the landmark headers do not.
    return expected[0] === 'image_id' ? expected.slice(1) : expected;
  };
}

async function readBbox(file: string, problems: Problems, recs: Records): Promise<void> {
  await readTable(file, problems, {
    counted: true,
    header: fixedHeader(file, problems, BBOX_HEADER),
    row: (name, values, fields, line) => {
      const n = values.map((t, i) => intCell(file, problems, t, fields[i] as string, line));
      if (n.some((x) => x === null)) return;
      const [x, y, w, h] = n as number[];
      if ((w as number) <= 0 || (h as number) <= 0) {
        problems.error(file, line, values[2]?.column, 'width', `expected a positive box size, got ${w}x${h}`);
        return;
      }
      recs.get(name, file, line).box = { x: x as number, y: y as number, w: w as number, h: h as number };
    },
  });
}

async function readLandmarks(file: string, layout: string, problems: Problems, recs: Records): Promise<void> {
  await readTable(file, problems, {
    counted: true,
    header: fixedHeader(file, problems, LANDMARK_HEADER),
    row: (name, values, fields, line) => {
      const n = values.map((t, i) => intCell(file, problems, t, fields[i] as string, line));
      if (n.some((x) => x === null)) return;
      recs.get(name, file, line).landmarks = { layout, points: n as number[] };
    },
  });
}

async function readIdentity(file: string, problems: Problems, recs: Records): Promise<void> {
  await readTable(file, problems, {
    counted: false,
    columns: 1,
    row: (name, [v], _f, line) => {
      const id = v && intCell(file, problems, v, 'identity', line);
      if (id !== null && id !== undefined) recs.get(name, file, line).identity = id;
    },
  });
}

async function read(ctx: ReadContext): Promise<ParsedAnnotations> {
  const recs = new Records();
  const { problems } = ctx;
  if (!ctx.isFolder) {
    await readAttr(ctx.source, problems, recs);
    return { records: recs.order, files: [ctx.source] };
  }
  const files: string[] = [];
  const attr = findFile(ctx.source, CELEBA_FILES.attr);
  const steps: [string | null, (f: string) => Promise<void>][] = [
    [attr, (f) => readAttr(f, problems, recs)],
    [findFile(ctx.source, CELEBA_FILES.partition), (f) => readPartition(f, problems, recs)],
    [findFile(ctx.source, CELEBA_FILES.bbox), (f) => readBbox(f, problems, recs)],
    [
      findFile(ctx.source, CELEBA_FILES.landmarksAlign),
      (f) => readLandmarks(f, LAYOUT_ALIGN, problems, recs),
    ],
    [findFile(ctx.source, CELEBA_FILES.landmarks), (f) => readLandmarks(f, LAYOUT_WILD, problems, recs)],
    [findFile(ctx.source, CELEBA_FILES.identity), (f) => readIdentity(f, problems, recs)],
  ];
  for (const [file, step] of steps) {
    if (!file || problems.full) continue;
    files.push(file);
    await step(file);
  }
  if (files.length === 0) {
    problems.error(
      ctx.source,
      0,
      undefined,
      undefined,
      `no CelebA list found (expected ${Object.values(CELEBA_FILES).join(', ')})`,
    );
  }
  return { records: recs.order, files };
}

/** `000001.jpg -1  1 …`: each value right-aligned in two characters after one space, as the release writes it. */
export function celebaAttrRow(name: string, values: readonly string[]): string {
  let s = name;
  for (const v of values) s += v === '1' ? '  1' : ' -1';
  return s;
}

/** An attribute list in the CelebA layout (count, header, rows); faces missing some of the 40 are left out. */
export function attrFile(
  file: string,
  chosen: readonly ExportFace[],
  problems: Problems,
  name: (f: ExportFace) => string,
): OutputFile {
  const withAttrs: ExportFace[] = [];
  for (const f of chosen) {
    const missing = CELEBA_ATTRIBUTES.filter((a) => f.values[a] !== '1' && f.values[a] !== '-1');
    if (missing.length === 0) withAttrs.push(f);
    else if (missing.length < CELEBA_ATTRIBUTES.length)
      problems.warn(
        file,
        0,
        missing[0],
        `${f.relPath}: left out, ${missing.length} of 40 attributes have no value`,
      );
  }
  return {
    name: file,
    lines: function* () {
      yield String(withAttrs.length);
      yield CELEBA_ATTRIBUTES.join(' ');
      for (const f of withAttrs)
        yield celebaAttrRow(
          name(f),
          CELEBA_ATTRIBUTES.map((a) => f.values[a] as string),
        );
    },
  };
}

function write({ faces, problems }: { faces: readonly ExportFace[]; problems: Problems }): OutputFile[] {
  const chosen = onePerImage(faces);
  const name = (f: ExportFace) => rowName(f, 'celeba');
  const out: OutputFile[] = [attrFile(CELEBA_FILES.attr, chosen, problems, name)];
  const split = chosen.filter((f) => f.split !== null && (PARTITIONS as readonly string[]).includes(f.split));
  if (split.length > 0) {
    out.push({
      name: CELEBA_FILES.partition,
      lines: function* () {
        for (const f of split)
          yield `${name(f)} ${PARTITIONS.indexOf(f.split as (typeof PARTITIONS)[number])}`;
      },
    });
  }
  const boxed = chosen.filter((f) => f.annotation?.box === true);
  if (boxed.length > 0) {
    out.push({
      name: CELEBA_FILES.bbox,
      lines: function* () {
        yield String(boxed.length);
        yield BBOX_HEADER.join(' ');
        for (const f of boxed) yield `${name(f)} ${f.box.x} ${f.box.y} ${f.box.w} ${f.box.h}`;
      },
    });
  }
  for (const [layout, file] of [
    [LAYOUT_ALIGN, CELEBA_FILES.landmarksAlign],
    [LAYOUT_WILD, CELEBA_FILES.landmarks],
  ] as const) {
    const lm = chosen.filter((f) => f.landmarks?.layout === layout);
    if (lm.length === 0) continue;
    out.push({
      name: file,
      lines: function* () {
        yield String(lm.length);
        yield LANDMARK_HEADER.join(' ');
        for (const f of lm) yield `${name(f)} ${f.landmarks?.points.join(' ')}`;
      },
    });
  }
  const ids = chosen.filter((f) => f.identity !== null);
  if (ids.length > 0) {
    out.push({
      name: CELEBA_FILES.identity,
      lines: function* () {
        for (const f of ids) yield `${name(f)} ${f.identity}`;
      },
    });
  }
  return out;
}

export const celeba: FormatModule = { id: 'celeba', read, write };
