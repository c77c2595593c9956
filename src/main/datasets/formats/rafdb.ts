// RAF-DB basic: EmoLabel/list_patition_label.txt (sic), `train_00001.jpg 5`, expression ids 1-7.
import { basename } from 'node:path';
import { expressionFromRafdb, expressionToRafdb, isExpression } from '../../../shared/taxonomy';
import { baseName, findIn, intToken, onePerImage, readList } from './common';
import type { ExportFace, FaceRecord, FormatModule, OutputFile, ReadContext, WriteContext } from './types';

export const RAFDB_FILE = 'list_patition_label.txt';

async function read(ctx: ReadContext) {
  const file = ctx.isFolder
    ? findIn(ctx.source, RAFDB_FILE, ['EmoLabel', 'basic/EmoLabel', 'basic'])
    : ctx.source;
  if (!file) {
    ctx.problems.error(
      ctx.source,
      0,
      undefined,
      undefined,
      `no ${RAFDB_FILE} found (looked in the folder and EmoLabel/)`,
    );
    return { records: [], files: [] };
  }
  const records: FaceRecord[] = [];
  await readList(
    file,
    ctx.problems,
    2,
    (t) => t[0]!.text,
    (t, line) => {
      const id = intToken(file, ctx.problems, t[1]!, 'expression', line, 1, 7);
      const expression = id === null ? null : expressionFromRafdb(id);
      if (!expression) return;
      const name = t[0]!.text;
      const split = /^train_/.test(name) ? 'train' : /^test_/.test(name) ? 'test' : undefined;
      records.push({ file, line, name, faceNo: 0, labels: { expression }, ...(split ? { split } : {}) });
    },
  );
  return { records, files: [file] };
}

/** The list names the original image; the aligned copies add `_aligned` before the extension. */
function listName(f: ExportFace): string {
  if (f.annotation?.format === 'rafdb') return f.annotation.name;
  return baseName(f.relPath).replace(/_aligned(\.[^.]+)$/, '$1');
}

function write({ faces, problems }: WriteContext): OutputFile[] {
  const rows: string[] = [];
  for (const f of onePerImage(faces)) {
    const e = f.values.expression;
    if (e === undefined) continue;
    if (!isExpression(e)) {
      problems.warn(
        RAFDB_FILE,
        0,
        'expression',
        `${f.relPath}: "${e}" is not a basic-7 expression; left out`,
      );
      continue;
    }
    rows.push(`${listName(f)} ${expressionToRafdb(e)}`);
  }
  return [{ name: basename(RAFDB_FILE), lines: () => rows }];
}

export const rafdb: FormatModule = { id: 'rafdb', read, write };
