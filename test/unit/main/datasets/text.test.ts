// Line reading and cell splitting under the annotation parsers: BOM, CRLF, padded columns, quoted CSV cells.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MAX_LINE_CHARS,
  Problems,
  RefusedInput,
  csvCell,
  readLines,
  splitCsv,
  splitWhitespace,
} from '../../../../src/main/datasets/formats/text';
import { tempDir } from '../../../helpers/fs';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('splitWhitespace', () => {
  it('keeps each token with its 1-based column across runs of spaces and tabs', () => {
    expect(splitWhitespace('000001.jpg -1  1\t-1 ')).toEqual([
      { text: '000001.jpg', column: 1 },
      { text: '-1', column: 12 },
      { text: '1', column: 16 },
      { text: '-1', column: 18 },
    ]);
    expect(splitWhitespace('   ')).toEqual([]);
  });
});

describe('splitCsv', () => {
  it('splits plain and quoted cells, with doubled quotes inside quotes', () => {
    expect(splitCsv('train/1.jpg,50-59,"East Asian","say ""hi"", ok",').map((t) => t.text)).toEqual([
      'train/1.jpg',
      '50-59',
      'East Asian',
      'say "hi", ok',
      '',
    ]);
    expect(splitCsv('a,b').map((t) => t.column)).toEqual([1, 3]);
  });

  it('quotes a cell only when it has to', () => {
    expect(csvCell('East Asian')).toBe('East Asian');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  });
});

describe('readLines', () => {
  it('drops a UTF-8 BOM and accepts CRLF and LF line ends alike', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'list.txt');
    writeFileSync(file, '\ufeff2\r\nname x\r\nrow 1\nlast 2');
    const got: [number, string][] = [];
    const n = await readLines(file, (line, no) => void got.push([no, line]));
    expect(n).toBe(4);
    expect(got).toEqual([
      [1, '2'],
      [2, 'name x'],
      [3, 'row 1'],
      [4, 'last 2'],
    ]);
  });

  it('treats a lone CR as a line end, also across read chunks, and keeps blank lines', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'list.txt');
    // The \r\n pair straddles the 64 KiB chunk boundary: it must end one line, not two.
    const long = 'x'.repeat((1 << 16) - 1);
    writeFileSync(file, `a\rb\n\n${long.slice(5)}\r\nlast\r`);
    const got: string[] = [];
    expect(await readLines(file, (line) => void got.push(line))).toBe(5);
    expect(got).toEqual(['a', 'b', '', long.slice(5), 'last']);
  });

  it('refuses a line over the limit with its line number, keeps reading, and never builds it', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'label.lst');
    // 3 MB on line 2, across many chunks; the lines around it still arrive.
    writeFileSync(file, `ok 1\nface_1.jpg ${'0 '.repeat(1_500_000)}\nok 3\n`);
    const problems = new Problems();
    const got: [number, number][] = [];
    const n = await readLines(file, { problems }, (line, no) => void got.push([no, line.length]));
    expect(n).toBe(3);
    expect(got).toEqual([
      [1, 4],
      [3, 4],
    ]);
    expect(problems.errors).toHaveLength(1);
    expect(problems.errors[0]).toMatchObject({
      where: { file: 'label.lst', line: 2, column: 1 },
      message: `line too long: 3000011 characters; the limit is ${MAX_LINE_CHARS}`,
    });
    // Without a collector the read stops with a parse_error at file:line.
    await expect(readLines(file, () => {})).rejects.toMatchObject({
      code: 'parse_error',
      where: { file: 'label.lst', line: 2 },
    });
    // A line of exactly the limit is accepted.
    writeFileSync(file, `${'y'.repeat(10)}\n`);
    const exact: string[] = [];
    await readLines(file, { maxLineChars: 10 }, (line) => void exact.push(line));
    expect(exact).toEqual(['y'.repeat(10)]);
  });

  it('reports a missing file as an io_error naming it', async () => {
    await expect(readLines('/nonexistent/list.txt', () => {})).rejects.toMatchObject({
      code: 'io_error',
      where: { file: '/nonexistent/list.txt' },
    });
  });
});

describe('Problems', () => {
  it('keeps up to maxErrors errors and throws them as one refusal with the first location', () => {
    const p = new Problems(2);
    p.error('/x/list_attr_celeba.txt', 3, 12, 'Bald', 'expected 1 or -1, got "0"');
    p.error('/x/list_attr_celeba.txt', 4, 1, undefined, 'duplicate file name "a.jpg" (first on line 3)');
    p.error('/x/list_attr_celeba.txt', 5, 1, undefined, 'not kept');
    expect(p.full).toBe(true);
    let thrown: unknown;
    try {
      p.throwIfErrors();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(RefusedInput);
    const err = thrown as RefusedInput;
    expect(err.where).toEqual({ file: 'list_attr_celeba.txt', line: 3, column: 12, field: 'Bald' });
    expect(err.message.split('\n')).toEqual([
      'list_attr_celeba.txt:3:12: field "Bald": expected 1 or -1, got "0"',
      'list_attr_celeba.txt:4:1: duplicate file name "a.jpg" (first on line 3)',
      '(stopped after 2 errors)',
    ]);
    expect(err.problems).toHaveLength(2);
  });

  it('counts every warning but keeps the text of the first ones only', () => {
    const p = new Problems();
    for (let i = 0; i < 250; i++) p.warn('list.txt', i + 1, undefined, `row ${i}`);
    expect(p.warningCount).toBe(250);
    expect(p.warnings).toHaveLength(200);
    expect(() => p.throwIfErrors()).not.toThrow();
  });
});
