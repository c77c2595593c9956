// The database facade the repositories use: the subset of better-sqlite3's API they call, implemented by
// better-sqlite3 itself (SQLite) and by PgDb (PostgreSQL, store/pg/pg-db.ts). Both are synchronous.

export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement: positional (`?`) or named (`@name`) parameters, as better-sqlite3 binds them. */
export interface Stmt {
  /** The SQL text as written (SQLite dialect). */
  readonly source: string;
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows become their first column's value. */
  pluck(toggle?: boolean): Stmt;
}

export interface TransactionFn<A extends unknown[], R> {
  (...args: A): R;
  deferred(...args: A): R;
  immediate(...args: A): R;
  exclusive(...args: A): R;
}

export interface Db {
  /** Absent on a bare better-sqlite3 Database (tests, SQLite-only migrations): SQLite. */
  readonly dialect?: Dialect;
  prepare(sql: string): Stmt;
  /** Runs a script of statements without parameters (DDL). */
  exec(sql: string): unknown;
  /** better-sqlite3's transaction wrapper: nested calls become savepoints. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): TransactionFn<A, R>;
  close(): unknown;
}

/** The `@name` parameter `p` as a list of JSON array elements, for `x IN ${jsonList(...)}`. */
/** The database's dialect (a bare better-sqlite3 Database is SQLite). */
export function dialectOf(db: Pick<Db, 'dialect'>): Dialect {
  return db.dialect ?? 'sqlite';
}

export function jsonList(db: Pick<Db, 'dialect'>, param: string, type: 'int' | 'text'): string {
  if (db.dialect !== 'postgres') return `(SELECT value FROM json_each(${param}))`;
  const v = `json_array_elements_text(CAST(${param} AS json))`;
  return type === 'int' ? `(SELECT CAST(${v} AS bigint))` : `(SELECT ${v})`;
}
