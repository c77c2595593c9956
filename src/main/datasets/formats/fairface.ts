// FairFace: fairface_label_{train,val}.csv with `file,age,gender,race,service_test` (age as a bucket).
import { basename } from 'node:path';
import {
  ageBucketToFairFace,
  ageToBucket,
  isAgeBucket,
  isFairFaceRace,
  isGender,
  isUtkRace,
  parseAgeBucket,
  utkToFairFace,
  FAIRFACE_RACES,
} from '../../../shared/taxonomy';
import { findIn, onePerImage } from './common';
import { fieldTooLong, readLines, splitCsv, csvCell, type Problems } from './text';
import type { ExportFace, FaceRecord, FormatModule, OutputFile, ReadContext, WriteContext } from './types';

export const FAIRFACE_FILES = { train: 'fairface_label_train.csv', val: 'fairface_label_val.csv' } as const;
const OTHER_FILE = 'fairface_label.csv';
const REQUIRED = ['file', 'age', 'gender', 'race'] as const;

function splitOf(file: string): string | undefined {
  const b = basename(file).toLowerCase();
  return b.includes('train') ? 'train' : b.includes('val') ? 'val' : undefined;
}

async function readCsv(file: string, problems: Problems, records: FaceRecord[], seen: Map<string, string>) {
  let header: string[] | null = null;
  let rows = 0;
  const split = splitOf(file);
  const lines = await readLines(file, { problems }, (line, n) => {
    if (problems.full) return false;
    const cells = splitCsv(line);
    if (fieldTooLong(file, n, cells, problems)) return n > 1;
    if (n === 1) {
      const names = cells.map((c) => c.text.trim());
      const missing = REQUIRED.filter((r) => !names.includes(r));
      if (missing.length > 0) {
        problems.error(
          file,
          1,
          1,
          missing[0],
          `header missing: expected columns ${REQUIRED.join(',')}, got "${line}"`,
        );
        return false;
      }
      header = names;
      return;
    }
    if (line.trim() === '') return;
    rows++;
    const h = header as string[];
    if (cells.length !== h.length) {
      const at = cells[h.length] ?? cells.at(-1);
      problems.error(
        file,
        n,
        at?.column,
        undefined,
        `wrong column count: expected ${h.length}, got ${cells.length}`,
      );
      return;
    }
    // Null-prototype maps: a header cell `__proto__` stays a column like any other.
    const row: Record<string, { text: string; column: number }> = Object.create(null);
    h.forEach((name, i) => (row[name] = cells[i]!));
    const name = row.file!.text;
    const first = seen.get(name);
    if (first !== undefined) {
      problems.error(file, n, row.file!.column, 'file', `duplicate file name "${name}" (first at ${first})`);
      return;
    }
    seen.set(name, `${basename(file)}:${n}`);
    const age = parseAgeBucket(row.age!.text);
    if (!age)
      problems.error(
        file,
        n,
        row.age!.column,
        'age',
        `expected a FairFace age bucket (0-2 … more than 70), got "${row.age!.text}"`,
      );
    const gender = row.gender!.text;
    if (!isGender(gender))
      problems.error(file, n, row.gender!.column, 'gender', `expected Male or Female, got "${gender}"`);
    const race = row.race!.text;
    if (!isFairFaceRace(race))
      problems.error(
        file,
        n,
        row.race!.column,
        'race',
        `expected one of ${FAIRFACE_RACES.join(', ')}, got "${race}"`,
      );
    if (!age || !isGender(gender) || !isFairFaceRace(race)) return;
    const extra: Record<string, string> = Object.create(null);
    for (const k of h) if (!(REQUIRED as readonly string[]).includes(k)) extra[k] = row[k]!.text;
    records.push({
      file,
      line: n,
      name,
      faceNo: 0,
      labels: { age_bucket: age, gender, race },
      ...(split ? { split } : {}),
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    });
  });
  if (lines === 0) problems.error(file, 1, 1, undefined, 'empty file');
  else if (header && rows === 0) problems.error(file, 2, 1, undefined, 'no rows after the header');
}

async function read(ctx: ReadContext) {
  const records: FaceRecord[] = [];
  const seen = new Map<string, string>();
  const files = ctx.isFolder
    ? [FAIRFACE_FILES.train, FAIRFACE_FILES.val, OTHER_FILE]
        .map((f) => findIn(ctx.source, f, []))
        .filter((f) => f !== null)
    : [ctx.source];
  if (files.length === 0)
    ctx.problems.error(
      ctx.source,
      0,
      undefined,
      undefined,
      `no ${FAIRFACE_FILES.train} or ${FAIRFACE_FILES.val} found`,
    );
  for (const f of files) if (!ctx.problems.full) await readCsv(f, ctx.problems, records, seen);
  return { records, files };
}

function fairFaceValues(f: ExportFace, problems: Problems, file: string): [string, string, string] | null {
  const v = f.values;
  const bucket = v.age_bucket ?? (v.age !== undefined ? ageToBucket(Number(v.age)) : undefined);
  let race = v.race;
  if (race !== undefined && !isFairFaceRace(race) && isUtkRace(race)) race = utkToFairFace(race) ?? undefined;
  if (bucket === undefined || !isAgeBucket(bucket) || v.gender === undefined || race === undefined) {
    if (bucket !== undefined || v.gender !== undefined || v.race !== undefined)
      problems.warn(file, 0, undefined, `${f.relPath}: needs an age, a gender and a FairFace race; left out`);
    return null;
  }
  return [ageBucketToFairFace(bucket), v.gender, race];
}

function write({ faces, problems }: WriteContext): OutputFile[] {
  const groups = new Map<string, string[]>();
  const extras = new Map<string, string[]>();
  for (const f of onePerImage(faces)) {
    const file =
      f.split === 'train' ? FAIRFACE_FILES.train : f.split === 'val' ? FAIRFACE_FILES.val : OTHER_FILE;
    const vals = fairFaceValues(f, problems, file);
    if (!vals) continue;
    const extra = f.annotation?.format === 'fairface' ? (f.annotation.extra ?? {}) : {};
    const extraCols = extras.get(file) ?? Object.keys(extra);
    extras.set(file, extraCols);
    const name = f.annotation?.format === 'fairface' ? f.annotation.name : f.relPath;
    const row = [name, ...vals, ...extraCols.map((k) => extra[k] ?? '')].map((c) => csvCell(c)).join(',');
    if (!groups.has(file)) groups.set(file, []);
    groups.get(file)!.push(row);
  }
  return [...groups].map(([name, rows]) => ({
    name,
    lines: function* () {
      yield [...REQUIRED, ...(extras.get(name) ?? [])].join(',');
      yield* rows;
    },
  }));
}

export const fairface: FormatModule = { id: 'fairface', read, write };
