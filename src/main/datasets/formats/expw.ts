// ExpW: label/label.lst rows `image face_id top left right bottom confidence label`, expression ids 0-6.
import { expressionFromExpw, expressionToExpw, isExpression } from '../../../shared/taxonomy';
import { findIn, intToken, readList } from './common';
import type { FaceRecord, FormatModule, OutputFile, ReadContext, WriteContext } from './types';

export const EXPW_FILE = 'label.lst';

async function read(ctx: ReadContext) {
  const file = ctx.isFolder ? findIn(ctx.source, EXPW_FILE, ['label']) : ctx.source;
  if (!file) {
    ctx.problems.error(
      ctx.source,
      0,
      undefined,
      undefined,
      `no ${EXPW_FILE} found (looked in the folder and label/)`,
    );
    return { records: [], files: [] };
  }
  const records: FaceRecord[] = [];
  const perImage = new Map<string, number>();
  const { problems } = ctx;
  await readList(
    file,
    problems,
    8,
    (t) => `${t[0]!.text} face ${t[1]!.text}`,
    (t, line) => {
      const fields = ['face_id', 'top', 'left', 'right', 'bottom'];
      const n = fields.map((f, i) => intToken(file, problems, t[i + 1]!, f, line, 0));
      const conf = t[6]!;
      if (!Number.isFinite(Number(conf.text))) {
        problems.error(file, line, conf.column, 'confidence', `expected a number, got "${conf.text}"`);
        return;
      }
      const id = intToken(file, problems, t[7]!, 'expression', line, 0, 6);
      if (n.some((x) => x === null) || id === null) return;
      const [, top, left, right, bottom] = n as number[];
      if (right! <= left! || bottom! <= top!) {
        problems.error(
          file,
          line,
          t[4]!.column,
          'right',
          `expected right > left and bottom > top, got ${left}..${right} x ${top}..${bottom}`,
        );
        return;
      }
      const name = t[0]!.text;
      const faceNo = perImage.get(name) ?? 0;
      perImage.set(name, faceNo + 1);
      records.push({
        file,
        line,
        name,
        faceNo,
        box: { x: left!, y: top!, w: right! - left!, h: bottom! - top! },
        labels: { expression: expressionFromExpw(id)! },
        // Kept verbatim so an unchanged face writes back the same row.
        extra: { face_id: t[1]!.text, confidence: conf.text },
      });
    },
  );
  return { records, files: [file] };
}

function write({ faces, problems }: WriteContext): OutputFile[] {
  const rows: string[] = [];
  for (const f of faces) {
    const e = f.values.expression;
    if (e === undefined) continue;
    if (!isExpression(e)) {
      problems.warn(EXPW_FILE, 0, 'expression', `${f.relPath}: "${e}" is not a basic-7 expression; left out`);
      continue;
    }
    const mine = f.annotation?.format === 'expw' ? f.annotation : null;
    const name = mine?.name ?? f.relPath.split('/').at(-1)!;
    const { x, y, w, h } = f.box;
    // Faces the file did not list get their index as face id and 0 as the detector confidence.
    const faceId = mine?.extra?.face_id ?? String(f.idx);
    const confidence = mine?.extra?.confidence ?? '0';
    rows.push(`${name} ${faceId} ${y} ${x} ${x + w} ${y + h} ${confidence} ${expressionToExpw(e)}`);
  }
  return [{ name: EXPW_FILE, lines: () => rows }];
}

export const expw: FormatModule = { id: 'expw', read, write };
