// Helpers shared by the format modules: which face stands for an image, and the name a row is written under.
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fieldTooLong, readLines, splitWhitespace, type Problems, type Token } from './text';
import type { ExportFace } from './types';

/** Per image the imported face with the lowest idx, else its lowest-idx face; kept in face-id order. */
export function onePerImage(faces: readonly ExportFace[]): ExportFace[] {
  const best = new Map<number, ExportFace>();
  for (const f of faces) {
    const cur = best.get(f.imageId);
    const better =
      !cur ||
      (f.faceSource === 'imported' && cur.faceSource !== 'imported') ||
      (f.faceSource === cur.faceSource && f.idx < cur.idx);
    if (better) best.set(f.imageId, f);
  }
  return faces.filter((f) => best.get(f.imageId) === f);
}

/** The image name as the dataset's file spelled it on import, else the path relative to the images folder. */
export function rowName(f: ExportFace, format: string): string {
  return f.annotation?.format === format ? f.annotation.name : f.relPath;
}

/** A name's file part (annotation files often name images without their folder). */
export function baseName(p: string): string {
  return posix.basename(p.replaceAll('\\', '/'));
}

/**
 * Reads a headerless whitespace-separated list (RAF-DB, ExpW): checks the column count and duplicate keys,
 * then hands each row's tokens over. Blank lines are skipped; a file without a single row is an error.
 */
export async function readList(
  file: string,
  problems: Problems,
  columns: number,
  keyOf: (tokens: Token[]) => string,
  onRow: (tokens: Token[], line: number) => void,
): Promise<void> {
  const seen = new Map<string, number>();
  let rows = 0;
  const lines = await readLines(file, { problems }, (line, n) => {
    if (problems.full) return false;
    const tokens = splitWhitespace(line);
    if (tokens.length === 0) return;
    rows++;
    if (fieldTooLong(file, n, tokens, problems)) return;
    if (tokens.length !== columns) {
      const at = tokens[columns] ?? tokens.at(-1);
      problems.error(
        file,
        n,
        at?.column,
        undefined,
        `wrong column count: expected ${columns}, got ${tokens.length}`,
      );
      return;
    }
    const key = keyOf(tokens);
    const first = seen.get(key);
    if (first !== undefined) {
      problems.error(
        file,
        n,
        tokens[0]?.column,
        undefined,
        `duplicate file name "${key}" (first on line ${first})`,
      );
      return;
    }
    seen.set(key, n);
    onRow(tokens, n);
  });
  if (lines === 0) problems.error(file, 1, 1, undefined, 'empty file');
  else if (rows === 0) problems.error(file, 1, 1, undefined, `no rows: ${lines} blank line(s)`);
}

/** An integer cell in [min, max], or null after reporting it. */
export function intToken(
  file: string,
  problems: Problems,
  t: Token,
  field: string,
  line: number,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number | null {
  const n = /^-?\d+$/.test(t.text) ? Number(t.text) : NaN;
  if (Number.isNaN(n) || n < min || n > max) {
    const range =
      min > Number.MIN_SAFE_INTEGER && max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : '';
    problems.error(file, line, t.column, field, `expected an integer${range}, got "${t.text}"`);
    return null;
  }
  return n;
}

/** First existing `name` in `folder` or one of `subs` (releases keep their lists in sub-folders). */
export function findIn(folder: string, name: string, subs: readonly string[]): string | null {
  for (const sub of ['', ...subs]) {
    const p = join(folder, sub, name);
    if (existsSync(p)) return p;
  }
  return null;
}
