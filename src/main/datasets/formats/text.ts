// Streaming line reader (BOM, CRLF) and the error / warning collector every annotation parser reports into.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { AppError, formatError, type AppErrorData } from '../../../shared/errors';

/** Default cap on collected errors: enough to show a pattern, few enough to read. */
export const MAX_ERRORS = 20;
/** Warnings are all counted, but only this many are kept with their text. */
export const MAX_WARNINGS = 200;

export interface Problem extends AppErrorData {
  severity: 'error' | 'warning';
}

/** Longest piece of input (a cell, a header, a name) an error message quotes; the rest is counted, not shown. */
export const MAX_QUOTE = 200;
/** A whole problem message: the quoted input plus the text around it (expectation, first line of a duplicate). */
const MAX_MESSAGE = MAX_QUOTE + 160;
/** Characters kept from the end of a cut message: the closing quote and what follows it. */
const MESSAGE_TAIL = 60;

/**
 * Input text made safe to print and store: C0 / C1 control characters, DEL and the bidi / line-separator marks
 * are escaped (`\n`, `\x1b`, `\u202e`) so a binary file cannot drive the terminal, and text over `max`
 * characters keeps its start and end with the number of characters left out.
 */
export function clip(text: string, max = MAX_QUOTE, tail = 0): string {
  if (text.length <= max) return escapeControls(text);
  const cut = text.length - max;
  const end = tail > 0 ? text.slice(-tail) : '';
  return `${escapeControls(text.slice(0, max - tail))}…[${cut} more characters]…${escapeControls(end)}`;
}

/** `"value"` for a message, cut at MAX_QUOTE characters with its control characters escaped. */
export function quote(value: string): string {
  return `"${clip(value)}"`;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return (
      NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`)
    );
  });
}

/** Collects problems with file:line:column; `full` turns true once MAX errors are in (parsers then stop). */
export class Problems {
  readonly errors: Problem[] = [];
  readonly warnings: Problem[] = [];
  warningCount = 0;
  constructor(readonly maxErrors = MAX_ERRORS) {}

  get full(): boolean {
    return this.errors.length >= this.maxErrors;
  }

  error(
    file: string,
    line: number,
    column: number | undefined,
    field: string | undefined,
    message: string,
  ): void {
    if (this.full) return;
    this.errors.push({
      severity: 'error',
      code: 'parse_error',
      message: clip(message, MAX_MESSAGE, MESSAGE_TAIL),
      where: where(file, line, column, field),
    });
  }

  warn(file: string, line: number, field: string | undefined, message: string): void {
    this.warningCount++;
    if (this.warnings.length < MAX_WARNINGS)
      this.warnings.push({
        severity: 'warning',
        code: 'parse_error',
        message: clip(message, MAX_MESSAGE, MESSAGE_TAIL),
        where: where(file, line, undefined, field),
      });
  }

  /** Throws one parse_error listing every collected error (the first one's location is the error's). */
  throwIfErrors(): void {
    const first = this.errors[0];
    if (!first) return;
    const lines = this.errors.map((e) => formatError(e));
    const more = this.full ? `\n(stopped after ${this.maxErrors} errors)` : '';
    throw new RefusedInput(`${lines.join('\n')}${more}`, this.errors);
  }
}

/** A refused annotation file: the message lists every problem; `problems` keeps them with their locations. */
export class RefusedInput extends AppError {
  constructor(
    message: string,
    readonly problems: readonly Problem[],
  ) {
    super('parse_error', message, problems[0]?.where ? { where: problems[0].where } : {});
  }
}

function where(file: string, line: number, column: number | undefined, field: string | undefined) {
  const w: Problem['where'] = { file: clip(basename(file)), line };
  if (column !== undefined) w.column = column;
  // Header cells become field names: as untrusted as any cell.
  if (field !== undefined) w.field = clip(field);
  return w;
}

export interface Token {
  text: string;
  /** 1-based column of the token's first character. */
  column: number;
}

/** Splits on runs of spaces / tabs, keeping each token's column (CelebA pads its columns irregularly). */
export function splitWhitespace(line: string): Token[] {
  // A char loop, not a regex: this runs 200k times x 41 tokens on a CelebA-sized file.
  const out: Token[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const start = i;
    do c = line.charCodeAt(++i);
    while (i < n && c !== 32 && c !== 9);
    out.push({ text: line.slice(start, i), column: start + 1 });
  }
  return out;
}

/** Splits one CSV line (RFC 4180 quotes, no embedded newlines: the label files have none). */
export function splitCsv(line: string, sep = ','): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (;;) {
    const column = i + 1;
    let text = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          text += line.slice(i);
          i = line.length;
          break;
        }
        text += line.slice(i, q);
        if (line[q + 1] === '"') {
          text += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const next = line.indexOf(sep, i);
      i = next < 0 ? line.length : next;
    } else {
      const next = line.indexOf(sep, i);
      text = line.slice(i, next < 0 ? line.length : next);
      i = next < 0 ? line.length : next;
    }
    out.push({ text, column });
    if (i >= line.length) break;
    i += sep.length;
  }
  return out;
}

/**
 * Quotes a CSV cell only when it must be (separator, quote, leading/trailing space). Our readers take one record
 * per line (readLines + splitCsv), so a line break cannot be written: it is refused, naming the cell.
 */
export function csvCell(v: string, sep = ','): string {
  if (/[\r\n]/.test(v))
    throw new AppError('invalid_request', `cannot write a line break in a CSV cell: ${JSON.stringify(v)}`, {
      hint: 'rename the file or edit the value so it has no line break',
    });
  return v.includes(sep) || v.includes('"') || v !== v.trim() ? `"${v.replaceAll('"', '""')}"` : v;
}

/**
 * Longest annotation line accepted, in characters (UTF-16 code units): 1 MiB. CelebA's longest real lines are
 * ~200 characters and a faces.json line ~2 KB; a longer line is refused with its file:line and never held whole.
 */
export const MAX_LINE_CHARS = 1 << 20;

export interface ReadLinesOptions {
  /** Defaults to MAX_LINE_CHARS. */
  maxLineChars?: number;
  /** Where an over-long line is reported (as a parse error at file:line); reading goes on unless it is full. */
  problems?: Problems;
  /**
   * Called instead for an over-long line (its text is never built); return false to stop. Without this or
   * `problems`, an over-long line throws a parse_error naming file:line.
   */
  onTooLong?: (lineNo: number, chars: number) => boolean | void;
}

/**
 * Longest single field (a token, a CSV cell) accepted where a reader keeps cells verbatim (FairFace's extra
 * columns, ExpW's face id and confidence) or uses them as names (CSV headers): 64 Ki characters. Real names and
 * values are far shorter. (CelebA's cells are all checked values, bounded by the line limit.)
 */
export const MAX_FIELD_CHARS = 1 << 16;

/** Reports the first field over MAX_FIELD_CHARS at file:line:column; true when there was one (skip the row). */
export function fieldTooLong(
  file: string,
  line: number,
  fields: readonly Token[],
  problems: Problems,
): boolean {
  const long = fields.find((f) => f.text.length > MAX_FIELD_CHARS);
  if (!long) return false;
  const message = `field too long: ${long.text.length} characters; the limit is ${MAX_FIELD_CHARS}`;
  problems.error(file, line, long.column, undefined, message);
  return true;
}

export type OnLine = (line: string, lineNo: number) => boolean | void;

/**
 * Calls `onLine` for every line with its 1-based number, streaming (a 2 GB file never sits in memory, nor does
 * one huge line: at most `maxLineChars` of a line are kept; a longer line is counted and discarded).
 * A UTF-8 BOM is dropped and CRLF / CR line ends are accepted. `onLine` returning false stops the read.
 */
export async function readLines(file: string, onLine: OnLine): Promise<number>;
export async function readLines(file: string, opts: ReadLinesOptions, onLine: OnLine): Promise<number>;
export async function readLines(
  file: string,
  optsOrOnLine: ReadLinesOptions | OnLine,
  lineFn?: OnLine,
): Promise<number> {
  const opts = typeof optsOrOnLine === 'function' ? {} : optsOrOnLine;
  const onLine = typeof optsOrOnLine === 'function' ? optsOrOnLine : lineFn!;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a file');
  } catch (err) {
    throw new AppError('io_error', `cannot read ${file}: ${(err as Error).message}`, { where: { file } });
  }
  const max = opts.maxLineChars ?? MAX_LINE_CHARS;
  const tooLong = (lineNo: number, chars: number): boolean | void => {
    if (opts.onTooLong) return opts.onTooLong(lineNo, chars);
    const message = `line too long: ${chars} characters; the limit is ${max}`;
    if (!opts.problems)
      throw new AppError('parse_error', `${basename(file)}:${lineNo}: ${message}`, {
        where: { file: basename(file), line: lineNo },
      });
    opts.problems.error(file, lineNo, 1, undefined, message);
    return !opts.problems.full;
  };
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  let n = 0;
  let parts: string[] = []; // the current line so far, while it is within the limit
  let chars = 0; // its length, counted on after it passed the limit
  let skipLf = false; // the previous chunk ended in \r: a \n starting this one ends nothing
  const lineEnd = /[\r\n]/g;
  // One finished line: false stops the read.
  const emit = (): boolean => {
    n++;
    const over = chars > max;
    const text = over ? '' : parts.length === 1 ? parts[0]! : parts.join('');
    const count = chars;
    parts = [];
    chars = 0;
    if (over) return tooLong(n, count) !== false;
    const line = n === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    return onLine(line, n) !== false;
  };
  const add = (piece: string) => {
    if (piece.length === 0) return;
    chars += piece.length;
    if (chars <= max) parts.push(piece);
    else parts = [];
  };
  let stopped = false;
  try {
    read: for await (const chunk of input as AsyncIterable<string>) {
      let from = 0;
      if (skipLf && chunk.charCodeAt(0) === 10) from = 1;
      skipLf = false;
      lineEnd.lastIndex = from;
      for (let m = lineEnd.exec(chunk); m; m = lineEnd.exec(chunk)) {
        add(chunk.slice(from, m.index));
        from = m.index + 1;
        if (m[0] === '\r') {
          if (from === chunk.length) skipLf = true;
          else if (chunk.charCodeAt(from) === 10) from++;
        }
        lineEnd.lastIndex = from;
        if (!emit()) {
          stopped = true;
          break read;
        }
      }
      add(chunk.slice(from));
    }
    // The last line when the file does not end with a line break.
    if (!stopped && chars > 0) emit();
  } finally {
    input.destroy();
  }
  return n;
}
