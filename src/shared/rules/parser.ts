// Rule-language parser: `id: severity: expression  # rationale`, one rule per line, errors with line and column.
import { AppError } from '../errors';
import {
  AGE_BUCKETS,
  CELEBA_ATTRIBUTES,
  EXPRESSIONS,
  GENDERS,
  LABEL_FIELDS,
  PARSING_CLASSES,
  RACES,
  isCelebaAttribute,
  isExpression,
  isGender,
  isLabelField,
  isParsingClass,
  isRace,
  parseAgeBucket,
} from '../taxonomy';
import { CMP_OPS, SEVERITIES, type CmpOp, type Expr, type Rule, type Severity } from './ast';
import { closest } from './suggest';

const FUNCTIONS = ['area', 'atmost1', 'exactly1'] as const;
const RULE_ID = /^[a-z0-9][a-z0-9-]*$/;

/**
 * What one rule may hold. Every consumer of a rule (compiler, evaluator, fix search, printer, clause builder)
 * walks its tree recursively, so the parser refuses trees deeper than `maxDepth` (each operator, each `!` and each
 * pair of parentheses is a level) and lines longer than `maxLineLength`; real rules stay far below both.
 */
export const RULE_LIMITS = { maxLineLength: 4000, maxDepth: 100 } as const;

/** A syntax problem at a 1-based column of the current line; becomes an AppError with the line added. */
class SyntaxProblem {
  constructor(
    readonly column: number,
    readonly message: string,
    readonly hint?: string,
  ) {}
}

type Token =
  | { t: 'ident'; v: string; col: number }
  | { t: 'number'; v: number; raw: string; col: number }
  | { t: 'string'; v: string; col: number }
  | { t: 'op'; v: string; col: number }
  | { t: 'end'; col: number; comment: string | null };

const NUMBER = /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?(?![A-Za-z0-9_])/;
const WORD = /^[A-Za-z0-9_]+/;
const OPS = ['<->', '->', '==', '!=', '<=', '>=', '<', '>', '!', '&', '|', '(', ')', ','];

function tokenize(line: string, start: number): Token[] {
  const out: Token[] = [];
  let i = start;
  while (i < line.length) {
    const c = line[i] ?? '';
    const col = i + 1;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') {
      out.push({ t: 'end', col, comment: line.slice(i + 1).trim() });
      return out;
    }
    if (c === '"') {
      const close = line.indexOf('"', i + 1);
      if (close < 0) throw new SyntaxProblem(col, 'unterminated string: add a closing "');
      out.push({ t: 'string', v: line.slice(i + 1, close), col });
      i = close + 1;
      continue;
    }
    const rest = line.slice(i);
    const num = NUMBER.exec(rest);
    if (num) {
      out.push({ t: 'number', v: Number(num[0]), raw: num[0], col });
      i += num[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      out.push({ t: 'ident', v: word[0], col });
      i += word[0].length;
      continue;
    }
    const op = OPS.find((o) => rest.startsWith(o));
    if (op) {
      out.push({ t: 'op', v: op, col });
      i += op.length;
      continue;
    }
    if (c === '=') throw new SyntaxProblem(col, 'unexpected "=": use == to compare');
    throw new SyntaxProblem(col, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ t: 'end', col: line.length + 1, comment: null });
  return out;
}

function describe(tok: Token): string {
  switch (tok.t) {
    case 'end':
      return tok.comment === null ? 'end of line' : '"#"';
    case 'number':
      return `"${tok.raw}"`;
    case 'string':
      return `the string "${tok.v}"`;
    default:
      return `"${tok.v}"`;
  }
}

function unknownName(col: number, what: string, name: string, candidates: readonly string[]): SyntaxProblem {
  const guess = closest(name, candidates);
  return guess === null
    ? new SyntaxProblem(col, `unknown ${what} "${name}"`)
    : new SyntaxProblem(
        col,
        `unknown ${what} "${name}" (did you mean "${guess}"?)`,
        `did you mean "${guess}"?`,
      );
}

class ExprParser {
  private pos = 0;
  /** Parenthesis / `!` recursion of the parser itself. */
  private nesting = 0;
  /** Tree depth of every node built so far (a leaf is 1). */
  private readonly depths = new WeakMap<Expr, number>();
  constructor(private readonly toks: Token[]) {}

  /** Records a node's depth from its children's and refuses it past the limit, at `col`. */
  private node<E extends Expr>(e: E, col: number): E {
    const kids =
      e.kind === 'not' ? [e.arg] : e.kind === 'count' ? e.args : 'left' in e ? [e.left, e.right] : [];
    const depth = 1 + Math.max(0, ...kids.map((k) => this.depths.get(k) ?? 1));
    if (depth > RULE_LIMITS.maxDepth) throw this.tooDeep(col);
    this.depths.set(e, depth);
    return e;
  }
  private tooDeep(col: number): SyntaxProblem {
    return new SyntaxProblem(
      col,
      `the rule nests more than ${RULE_LIMITS.maxDepth} levels deep (operators, "!" and parentheses); split it into several rules`,
    );
  }
  private enter(col: number): void {
    if (++this.nesting > RULE_LIMITS.maxDepth) throw this.tooDeep(col);
  }

  private peek(): Token {
    return this.toks[this.pos] ?? this.toks[this.toks.length - 1]!;
  }
  private next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private expectOp(v: string, message: string): void {
    if (!this.isOp(v)) throw new SyntaxProblem(this.peek().col, `${message}, found ${describe(this.peek())}`);
    this.next();
  }

  /** The whole expression; returns it with the `#` comment that ended the line, if any. */
  parseAll(): { expr: Expr; comment: string | null; commentCol: number } {
    const expr = this.parseIff();
    const t = this.peek();
    if (t.t !== 'end') {
      if (t.t === 'ident' || (t.t === 'op' && (t.v === '(' || t.v === '!'))) {
        throw new SyntaxProblem(t.col, `expected an operator (&, |, ->, <->) before ${describe(t)}`);
      }
      throw new SyntaxProblem(t.col, `unexpected ${describe(t)} after the expression`);
    }
    return { expr, comment: t.comment, commentCol: t.col };
  }

  private parseIff(): Expr {
    let left = this.parseImplies();
    while (this.isOp('<->')) {
      const col = this.next().col;
      left = this.node({ kind: 'iff', left, right: this.parseImplies() }, col);
    }
    return left;
  }
  private parseImplies(): Expr {
    const left = this.parseOr();
    if (!this.isOp('->')) return left;
    const col = this.next().col;
    this.enter(col);
    const right = this.parseImplies();
    this.nesting--;
    return this.node({ kind: 'implies', left, right }, col);
  }
  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isOp('|')) {
      const col = this.next().col;
      left = this.node({ kind: 'or', left, right: this.parseAnd() }, col);
    }
    return left;
  }
  private parseAnd(): Expr {
    let left = this.parseUnary();
    while (this.isOp('&')) {
      const col = this.next().col;
      left = this.node({ kind: 'and', left, right: this.parseUnary() }, col);
    }
    return left;
  }
  private parseUnary(): Expr {
    if (this.isOp('!')) {
      const col = this.next().col;
      this.enter(col);
      const arg = this.parseUnary();
      this.nesting--;
      return this.node({ kind: 'not', arg }, col);
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expr {
    const t = this.next();
    if (t.t === 'op' && t.v === '(') {
      this.enter(t.col);
      const inner = this.parseIff();
      this.expectOp(')', `expected ")" to close the "(" at column ${t.col}`);
      this.nesting--;
      return inner;
    }
    if (t.t !== 'ident') {
      throw new SyntaxProblem(t.col, `expected an attribute, comparison or function, found ${describe(t)}`);
    }
    const name = t.v;
    if (this.isOp('(')) {
      this.next();
      if (name === 'area') return this.parseArea();
      if (name === 'atmost1' || name === 'exactly1') {
        this.enter(t.col);
        const count = this.parseCount(name, t.col);
        this.nesting--;
        return this.node(count, t.col);
      }
      throw unknownName(t.col, 'function', name, FUNCTIONS);
    }
    if (isLabelField(name)) return this.parseComparison(name);
    if (isCelebaAttribute(name)) {
      if (this.peekCmp()) {
        throw new SyntaxProblem(
          this.peek().col,
          `"${name}" is a yes/no attribute: write ${name} or !${name}, not a comparison`,
        );
      }
      return { kind: 'attr', name };
    }
    if ((FUNCTIONS as readonly string[]).includes(name)) {
      throw new SyntaxProblem(this.peek().col, `expected "(" after ${name}`);
    }
    throw unknownName(t.col, 'attribute', name, [...CELEBA_ATTRIBUTES, ...LABEL_FIELDS, ...FUNCTIONS]);
  }

  private peekCmp(): CmpOp | null {
    const t = this.peek();
    return t.t === 'op' && (CMP_OPS as readonly string[]).includes(t.v) ? (t.v as CmpOp) : null;
  }

  private takeCmp(example: string): CmpOp {
    const op = this.peekCmp();
    if (!op) {
      throw new SyntaxProblem(
        this.peek().col,
        `expected a comparison (==, !=, <, <=, >, >=) after ${example}, found ${describe(this.peek())}`,
      );
    }
    this.next();
    return op;
  }

  private takeNumber(op: string): { v: number; col: number } {
    const t = this.next();
    if (t.t !== 'number')
      throw new SyntaxProblem(t.col, `expected a number after "${op}", found ${describe(t)}`);
    return { v: t.v, col: t.col };
  }

  private parseArea(): Expr {
    const c = this.next();
    if (c.t !== 'ident') throw new SyntaxProblem(c.col, `expected a parsing class, found ${describe(c)}`);
    if (!isParsingClass(c.v)) throw unknownName(c.col, 'parsing class', c.v, PARSING_CLASSES);
    this.expectOp(')', `expected ")" after area(${c.v}`);
    const op = this.takeCmp(`area(${c.v}), e.g. area(${c.v}) > 0.002,`);
    const n = this.takeNumber(op);
    if (n.v > 1) {
      throw new SyntaxProblem(
        n.col,
        `an area is a fraction of the face region: expected a number from 0 to 1, got ${n.v}`,
      );
    }
    return { kind: 'area', cls: c.v, op, value: n.v };
  }

  private parseCount(fn: 'atmost1' | 'exactly1', col: number): Expr {
    const args: Expr[] = [this.parseIff()];
    while (this.isOp(',')) {
      this.next();
      args.push(this.parseIff());
    }
    this.expectOp(')', `expected "," or ")" in ${fn}(...)`);
    if (args.length < 2) throw new SyntaxProblem(col, `${fn} needs at least 2 arguments`);
    return { kind: 'count', fn, args };
  }

  private parseComparison(field: (typeof LABEL_FIELDS)[number]): Expr {
    const examples: Record<typeof field, string> = {
      gender: 'gender == Male',
      age: 'age >= 50',
      age_bucket: 'age_bucket == "60-69"',
      race: 'race == "East Asian"',
      expression: 'expression == happy',
    };
    if (!this.peekCmp()) {
      throw new SyntaxProblem(
        this.peek().col,
        `"${field}" is a field: compare it, e.g. ${examples[field]}; found ${describe(this.peek())}`,
      );
    }
    const opCol = this.peek().col;
    const op = this.takeCmp(field);
    const v = this.next();
    if (field === 'age') {
      if (v.t !== 'number')
        throw new SyntaxProblem(v.col, `expected a number of years after "${op}", found ${describe(v)}`);
      return { kind: 'cmp', field, op, value: v.v };
    }
    if (v.t !== 'ident' && v.t !== 'string' && !(v.t === 'number' && field === 'age_bucket')) {
      throw new SyntaxProblem(
        v.col,
        `expected a value after "${op}", e.g. ${examples[field]}, found ${describe(v)}`,
      );
    }
    const raw = v.t === 'number' ? v.raw : v.v;
    if (field === 'age_bucket') {
      const bucket = parseAgeBucket(raw);
      if (!bucket) throw unknownName(v.col, 'age bucket', raw, AGE_BUCKETS);
      return { kind: 'cmp', field, op, value: bucket };
    }
    if (op !== '==' && op !== '!=') {
      throw new SyntaxProblem(opCol, `"${field}" can only be compared with == or !=`);
    }
    if (field === 'gender') {
      if (!isGender(raw)) throw unknownName(v.col, 'gender', raw, GENDERS);
      return { kind: 'cmp', field, op, value: raw };
    }
    if (field === 'race') {
      if (!isRace(raw)) throw unknownName(v.col, 'race', raw, RACES);
      return { kind: 'cmp', field, op, value: raw };
    }
    if (!isExpression(raw)) throw unknownName(v.col, 'expression', raw, EXPRESSIONS);
    return { kind: 'cmp', field, op, value: raw };
  }
}

function toAppError(p: SyntaxProblem, line: number, file: string | undefined): AppError {
  const where = file === undefined ? { line, column: p.column } : { file, line, column: p.column };
  return new AppError('parse_error', p.message, p.hint ? { where, hint: p.hint } : { where });
}

function checkLength(text: string): void {
  if (text.length > RULE_LIMITS.maxLineLength)
    throw new SyntaxProblem(
      RULE_LIMITS.maxLineLength + 1,
      `the line is ${text.length} characters long; a rule fits in ${RULE_LIMITS.maxLineLength}`,
    );
}

function parseLine(text: string, lineNo: number): Rule {
  checkLength(text);
  let i = 0;
  const skip = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  skip();
  const idStart = i;
  while (i < text.length && !/[\s:#]/.test(text[i] ?? '')) i++;
  const id = text.slice(idStart, i);
  if (!RULE_ID.test(id)) {
    throw new SyntaxProblem(idStart + 1, `invalid rule id "${id}": use lowercase letters, digits and "-"`);
  }
  skip();
  if (text[i] !== ':') throw new SyntaxProblem(i + 1, `expected ":" after the rule id "${id}"`);
  i++;
  skip();
  const sevStart = i;
  while (i < text.length && /[A-Za-z0-9_]/.test(text[i] ?? '')) i++;
  const severity = text.slice(sevStart, i);
  if (!(SEVERITIES as readonly string[]).includes(severity)) {
    if (severity === '') throw new SyntaxProblem(sevStart + 1, 'expected a severity (error or warning)');
    const p = unknownName(sevStart + 1, 'severity', severity, SEVERITIES);
    throw new SyntaxProblem(p.column, `${p.message}: expected error or warning`, p.hint);
  }
  skip();
  if (text[i] !== ':') throw new SyntaxProblem(i + 1, `expected ":" after the severity "${severity}"`);
  i++;
  const { expr, comment } = new ExprParser(tokenize(text, i)).parseAll();
  return { id, severity: severity as Severity, expr, rationale: comment || null, line: lineNo };
}

export interface ParseResult {
  rules: Rule[];
  /** One `parse_error` AppError per bad line (with file, line, column); rules holds the good lines. */
  errors: AppError[];
}

/** Parses a rules file; never throws. Blank lines and lines starting with `#` are skipped. */
export function parseRules(text: string, options: { file?: string } = {}): ParseResult {
  const rules: Rule[] = [];
  const errors: AppError[] = [];
  const seen = new Map<string, number>();
  // A UTF-8 byte-order mark (editors on Windows write one) is not part of the first rule.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  body.split(/\r?\n/).forEach((line, idx) => {
    const lineNo = idx + 1;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      const rule = parseLine(line, lineNo);
      const first = seen.get(rule.id);
      if (first !== undefined) {
        throw new SyntaxProblem(
          line.indexOf(rule.id) + 1,
          `duplicate rule id "${rule.id}" (first on line ${first})`,
        );
      }
      seen.set(rule.id, lineNo);
      rules.push(rule);
    } catch (e) {
      if (!(e instanceof SyntaxProblem)) throw e;
      errors.push(toAppError(e, lineNo, options.file));
    }
  });
  return { rules, errors };
}

/** Parses a rules file and throws its first error (with file, line and column) if any line is bad. */
export function parseRulesOrThrow(text: string, options: { file?: string } = {}): Rule[] {
  const { rules, errors } = parseRules(text, options);
  if (errors[0]) throw errors[0];
  return rules;
}

/** Parses one expression (e.g. the rule editor's field); throws a `parse_error` AppError at line 1. */
export function parseExpression(text: string): Expr {
  if (/[\r\n]/.test(text))
    throw toAppError(new SyntaxProblem(1, 'an expression fits on one line'), 1, undefined);
  try {
    checkLength(text);
    const { expr, comment, commentCol } = new ExprParser(tokenize(text, 0)).parseAll();
    if (comment !== null) throw new SyntaxProblem(commentCol, 'a lone expression has no "#" rationale');
    return expr;
  } catch (e) {
    if (e instanceof SyntaxProblem) throw toAppError(e, 1, undefined);
    throw e;
  }
}
