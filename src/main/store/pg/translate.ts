// The mechanical part of running the repositories' SQLite SQL on PostgreSQL: placeholders to $n, INSERT OR IGNORE,
// CROSS JOIN … ON, temp.; and a refusal of SQLite-only constructs that need SQL written per dialect instead.
import { AppError } from '../../../shared/errors';

export interface Translated {
  /** PostgreSQL text with $1..$n. */
  text: string;
  /** Named parameters in $n order (`@a … @a` share one $n, but an `@a IS NULL` test has its own), or null for `?` ones. */
  names: string[] | null;
  /** Number of $n parameters. */
  count: number;
  /** Lower-cased alias -> alias as written: PostgreSQL folds unquoted `AS faceId` to `faceid`. */
  aliases: Map<string, string>;
}

interface Segment {
  code: boolean;
  text: string;
}

/** Splits SQL into code and the parts no rewrite may touch: string literals, quoted identifiers, comments. */
function segments(sql: string): Segment[] {
  const out: Segment[] = [];
  let code = '';
  let i = 0;
  const flush = () => {
    if (code) out.push({ code: true, text: code });
    code = '';
  };
  while (i < sql.length) {
    const c = sql[i]!;
    let end = -1;
    if (c === "'" || c === '"') {
      end = i + 1;
      for (;;) {
        const j = sql.indexOf(c, end);
        if (j < 0) throw unsupported(`an unterminated ${c === "'" ? 'string' : 'quoted name'}`, sql);
        if (sql[j + 1] === c) end = j + 2;
        else {
          end = j + 1;
          break;
        }
      }
    } else if (c === '-' && sql[i + 1] === '-') {
      const j = sql.indexOf('\n', i);
      end = j < 0 ? sql.length : j;
    } else if (c === '/' && sql[i + 1] === '*') {
      const j = sql.indexOf('*/', i + 2);
      end = j < 0 ? sql.length : j + 2;
    }
    if (end < 0) {
      code += c;
      i++;
    } else {
      flush();
      out.push({ code: false, text: sql.slice(i, end) });
      i = end;
    }
  }
  flush();
  return out;
}

function unsupported(what: string, sql: string): AppError {
  const text = sql.replace(/\s+/g, ' ').trim();
  return new AppError(
    'internal',
    `SQLite-only SQL on PostgreSQL: ${what} in "${text.length > 240 ? `${text.slice(0, 240)}…` : text}"`,
    { hint: 'Write this statement per dialect (db.dialect) in its repository.' },
  );
}

// SQLite functions and syntax with no PostgreSQL equivalent of the same name and meaning.
const REFUSED: [RegExp, string][] = [
  [
    /\bjson_(extract|set|insert|replace|remove|patch|group_array|group_object|quote|type|valid|tree|array)\s*\(/i,
    'a SQLite JSON function',
  ],
  [/\bjson\s*\(/i, 'json()'],
  [/\bjson_each\s*\((?!\s*CAST\s*\()/i, 'json_each() over a parameter or column'],
  [
    /\b(total|unicode|ifnull|instr|printf|strftime|datetime|julianday|last_insert_rowid)\s*\(/i,
    'a SQLite function',
  ],
  [/\browid\b/i, 'rowid'],
  [/\bPRAGMA\b/i, 'PRAGMA'],
  [/\bWITHOUT\s+ROWID\b/i, 'WITHOUT ROWID'],
  [/\)\s*STRICT\b/i, 'STRICT'],
  [/\bUPDATE\s+OR\s+\w+/i, 'UPDATE OR …'],
  [/\bINSERT\s+OR\s+(REPLACE|ROLLBACK|ABORT|FAIL)\b/i, 'INSERT OR …'],
  [/\bREPLACE\s+INTO\b/i, 'REPLACE INTO'],
  [/\bGLOB\b/i, 'GLOB'],
  [/\bEXPLAIN\s+QUERY\s+PLAN\b/i, 'EXPLAIN QUERY PLAN'],
];

/** SQLite's two-argument max(a, b) / min(a, b) are scalars; PostgreSQL's are aggregates (greatest / least). */
function scalarMinMax(code: string): boolean {
  const re = /\b(max|min)\s*\(/gi;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    let depth = 0;
    for (let i = m.index + m[0].length - 1; i < code.length; i++) {
      const c = code[i];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
      else if (c === ',' && depth === 1) return true;
    }
  }
  return false;
}

/**
 * Translates one statement (or a parameterless script) written for SQLite. Throws for constructs that would
 * silently mean something else or not parse on PostgreSQL.
 */
export function translate(sql: string): Translated {
  const parts = segments(sql);
  const code = parts
    .filter((p) => p.code)
    .map((p) => p.text)
    .join(' ');
  for (const [re, what] of REFUSED) if (re.test(code)) throw unsupported(what, sql);
  if (scalarMinMax(code)) throw unsupported('scalar max(a, b) / min(a, b)', sql);

  let positional = 0;
  const names: string[] = [];
  const index = new Map<string, number>();
  const aliases = new Map<string, string>();
  let out = '';
  for (const p of parts) {
    if (!p.code) {
      out += p.text;
      continue;
    }
    // `@x IS NULL` alone gives PostgreSQL no type for $n ("could not determine data type"), and beside
    // `col = @x` it must not take col's type either: the test reads its own $n (same value) as text.
    const placeholder = /(?<![:\w])([?@:$])([A-Za-z_]\w*)?(?=(\s+IS\s+(?:NOT\s+)?NULL\b)?)/gi;
    let text = p.text.replace(
      placeholder,
      (all: string, sigil: string, name: string | undefined, isNull: string | undefined) => {
        const slot = (n: number) => (isNull ? `CAST($${n} AS text)` : `$${n}`);
        if (sigil === '?') {
          if (name !== undefined) throw unsupported(`the placeholder ${all}`, sql);
          positional++;
          return slot(positional);
        }
        if (name === undefined) {
          if (sigil === '$' || sigil === ':') return all;
          throw unsupported(`a bare "${sigil}"`, sql);
        }
        if (isNull) {
          names.push(name);
          return slot(names.length);
        }
        let n = index.get(name);
        if (n === undefined) {
          names.push(name);
          n = names.length;
          index.set(name, n);
        }
        return `$${n}`;
      },
    );
    // CROSS JOIN with ON is SQLite's inner join that pins the join order; PostgreSQL spells it JOIN.
    text = text.replace(/\bCROSS\s+JOIN(\s+[\w.]+(?:\s+(?!ON\b)\w+)?\s+ON\b)/gi, 'JOIN$1');
    text = text.replace(/\btemp\./gi, 'pg_temp.');
    for (const m of text.matchAll(/\bAS\s+([A-Za-z_]\w*)/g)) {
      const alias = m[1]!;
      if (/[a-z]/.test(alias) && /[A-Z]/.test(alias)) aliases.set(alias.toLowerCase(), alias);
    }
    out += text;
  }
  if (positional > 0 && names.length > 0) throw unsupported('both ? and named placeholders', sql);

  const ignore = /^\s*INSERT\s+OR\s+IGNORE\s+INTO\b/i;
  if (ignore.test(out)) {
    out = out.replace(/^(\s*INSERT)\s+OR\s+IGNORE/i, '$1');
    const returning = /\bRETURNING\b/i.exec(out);
    const body = (returning ? out.slice(0, returning.index) : out).replace(/[\s;]*$/, '');
    out = `${body} ON CONFLICT DO NOTHING${returning ? ` ${out.slice(returning.index)}` : ''}`;
  }
  return { text: out, names: names.length > 0 ? names : null, count: positional || names.length, aliases };
}
