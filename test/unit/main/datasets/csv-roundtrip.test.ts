// csvCell and the line-based CSV reader agree: any row csvCell writes reads back cell for cell, or is refused.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvCell, readLines, splitCsv } from '../../../../src/main/datasets/formats/text';
import { AppError } from '../../../../src/shared/errors';
import { tempDir } from '../../../helpers/fs';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** Cells biased toward the characters CSV cares about, mixed with arbitrary Unicode. */
const cell = fc.oneof(
  fc.string({ unit: fc.constantFrom(',', ';', '\t', '"', ' ', 'a', '\ufeff', '\u2028', 'é') }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
);
const lineFree = cell.filter((c) => !/[\r\n]/.test(c));
const sep = fc.constantFrom(',', ';', '\t');

describe('csvCell / splitCsv round trip', () => {
  it('reads back every row of line-free cells exactly', () => {
    fc.assert(
      fc.property(fc.array(lineFree, { minLength: 1, maxLength: 6 }), sep, (cells, s) => {
        const line = cells.map((c) => csvCell(c, s)).join(s);
        expect(splitCsv(line, s).map((t) => t.text)).toEqual(cells);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back a whole file written with csvCell through readLines', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1 }),
        async (rows) => {
          let text: string;
          try {
            text = rows.map((r) => r.map((c) => csvCell(c)).join(',')).join('\n') + '\n';
          } catch (err) {
            // Refused only when a cell really has a line break, with a message naming it.
            expect(rows.flat().some((c) => /[\r\n]/.test(c))).toBe(true);
            expect(err).toBeInstanceOf(AppError);
            expect((err as AppError).message).toMatch(/line break in a CSV cell/);
            return;
          }
          const file = join(tmp.dir, `rows-${n++}.csv`);
          writeFileSync(file, text);
          const got: string[][] = [];
          await readLines(file, (line) => void got.push(splitCsv(line).map((t) => t.text)));
          expect(got).toEqual(rows);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a cell with a line break instead of writing a record the reader splits in two', () => {
    for (const v of ['a\nb', 'a\r\nb', 'a\rb', '\n'])
      expect(() => csvCell(v)).toThrow(`cannot write a line break in a CSV cell: ${JSON.stringify(v)}`);
  });
});
