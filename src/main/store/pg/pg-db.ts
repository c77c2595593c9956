// The Db facade on PostgreSQL: better-sqlite3's synchronous statement API over one node-postgres connection that
// lives on a worker thread (sync-bridge.ts). SQL is written for SQLite and translated (translate.ts).
import { AppError, type ErrorCode } from '../../../shared/errors';
import type { Db, RunResult, Stmt, TransactionFn } from '../db-types';
import { redactDbTarget } from '../target';
import { BridgeFailure, SyncWorker, type WorkerFailure } from './sync-bridge';
import { translate, type Translated } from './translate';

/** The key of the advisory lock every write transaction takes: one writer at a time, as SQLite's BEGIN IMMEDIATE. */
export const WRITE_LOCK_KEY = 7_236_126_330; // "FIST" as digits, any constant no other tool uses

/** Rows a cursor fetches per round trip in iterate(). */
const FETCH_ROWS = 500;

export interface PgOptions {
  connectTimeoutMs?: number;
  /** Server-side statement_timeout; the caller waits this plus a margin before declaring the worker hung. */
  statementTimeoutMs?: number;
}

/** A PostgreSQL error with its SQLSTATE and the statement that failed. */
export class PgError extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly sqlState: string | undefined,
    readonly statement: string | undefined,
    hint?: string,
  ) {
    super(code, message, hint ? { hint } : {});
    this.name = 'PgError';
  }
}

function oneLine(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

interface QueryResult {
  fields: string[];
  rows: unknown[][];
  rowCount: number;
}

function toBuffers(rows: unknown[][]): void {
  // Structured cloning turns the worker's Buffers into plain Uint8Arrays.
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (v instanceof Uint8Array && !Buffer.isBuffer(v))
        row[i] = Buffer.from(v.buffer, v.byteOffset, v.length);
    }
  }
}

export class PgDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly #worker: SyncWorker;
  readonly #target: string;
  readonly #waitMs: number;
  readonly #names = new Map<string, string>();
  #depth = 0;
  #cursors = 0;

  constructor(url: string, opts: PgOptions = {}) {
    this.#target = redactDbTarget(url);
    const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    const statementTimeoutMs = opts.statementTimeoutMs ?? 120_000;
    this.#waitMs = statementTimeoutMs + 15_000;
    this.#worker = new SyncWorker();
    try {
      // The thread's start (tsx in development) counts too.
      this.#worker.call(
        { op: 'connect', url, connectTimeoutMs, statementTimeoutMs },
        connectTimeoutMs + 20_000,
      );
    } catch (err) {
      this.#worker.terminate();
      const f =
        err instanceof BridgeFailure ? err.failure : { message: String(err), stage: 'connect' as const };
      throw new PgError(
        'io_error',
        `cannot connect to PostgreSQL at ${this.#target}: ${f.message || f.code || 'connection failed'}`,
        f.code,
        undefined,
        'Check the host, port, database name, user and password of --db / FACEINSIGHT_DB, and that the server runs.',
      );
    }
  }

  get target(): string {
    return this.#target;
  }

  get inTransaction(): boolean {
    return this.#depth > 0;
  }

  /** Runs translated SQL; errors become PgErrors with the SQLSTATE and the statement. */
  query(text: string, values: unknown[] = [], opts: { name?: string; script?: boolean } = {}): QueryResult {
    let r: QueryResult;
    try {
      r = this.#worker.call({ op: 'query', text, values, ...opts }, this.#waitMs) as QueryResult;
    } catch (err) {
      if (!(err instanceof BridgeFailure)) throw err;
      throw this.#error(err.failure, text);
    }
    toBuffers(r.rows);
    return r;
  }

  #error(f: WorkerFailure, text: string): PgError {
    const state = f.code;
    const code: ErrorCode =
      f.stage === 'bridge' || state === 'connection_lost' || state === '57014' || state?.startsWith('08')
        ? 'io_error'
        : state?.startsWith('23')
          ? 'conflict'
          : 'internal';
    const where = f.position ? ` at character ${f.position}` : '';
    const detail = f.detail ? ` (${f.detail})` : '';
    const sqlState = state && /^[0-9A-Z]{5}$/.test(state) ? ` [SQLSTATE ${state}]` : '';
    return new PgError(
      code,
      `PostgreSQL (${this.#target}): ${f.message}${detail}${sqlState}${where} in "${oneLine(text)}"`,
      state,
      text,
      f.hint,
    );
  }

  /** The server-side prepared statement name for a text (parsed once per connection). */
  nameFor(text: string): string {
    let n = this.#names.get(text);
    if (!n) {
      n = `fi_${this.#names.size + 1}`;
      this.#names.set(text, n);
    }
    return n;
  }

  nextCursor(): string {
    return `fi_cursor_${++this.#cursors}`;
  }

  prepare(sql: string): Stmt {
    return new PgStatement(this, sql, translate(sql));
  }

  exec(sql: string): this {
    this.query(translate(sql).text, [], { script: true });
    return this;
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): TransactionFn<A, R> {
    const run =
      (lock: boolean) =>
      (...args: A): R => {
        const depth = this.#depth;
        if (depth === 0) {
          this.query('BEGIN');
          try {
            if (lock) this.query(`SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY})`);
          } catch (err) {
            this.#rollback(0);
            throw err;
          }
        } else this.query(`SAVEPOINT fi_sp_${depth}`);
        this.#depth = depth + 1;
        let result: R;
        try {
          result = fn(...args);
          if (result instanceof Promise) throw new TypeError('Transaction function cannot return a promise');
        } catch (err) {
          this.#depth = depth;
          this.#rollback(depth);
          throw err;
        }
        this.#depth = depth;
        if (depth === 0) this.query('COMMIT');
        else this.query(`RELEASE SAVEPOINT fi_sp_${depth}`);
        return result;
      };
    const deferred = run(false);
    return Object.assign(deferred, { deferred, immediate: run(true), exclusive: run(true) });
  }

  #rollback(depth: number): void {
    try {
      if (depth === 0) this.query('ROLLBACK');
      else
        this.query(`ROLLBACK TO SAVEPOINT fi_sp_${depth}; RELEASE SAVEPOINT fi_sp_${depth}`, [], {
          script: true,
        });
    } catch {
      // The connection is gone (the original error says why); nothing left to undo.
    }
  }

  close(): void {
    if (this.#worker.closed) return;
    try {
      this.#worker.call({ op: 'close' }, 5_000);
    } catch {
      // Already lost: terminating the thread is all that is left.
    }
    this.#worker.terminate();
  }
}

class PgStatement implements Stmt {
  #pluck = false;

  constructor(
    private readonly db: PgDb,
    readonly source: string,
    private readonly sql: Translated,
  ) {}

  pluck(toggle = true): this {
    this.#pluck = toggle;
    return this;
  }

  /** better-sqlite3's binding: positional values (or one array of them), or one object of named values. */
  #values(params: unknown[]): unknown[] {
    const { names, count } = this.sql;
    let values: unknown[];
    if (names) {
      const obj = params[0];
      if (params.length !== 1 || typeof obj !== 'object' || obj === null || Array.isArray(obj))
        throw new TypeError(
          `statement needs named parameters (${names.join(', ')}): ${oneLine(this.source)}`,
        );
      values = names.map((n) => {
        if (!(n in obj)) throw new RangeError(`Missing named parameter "${n}"`);
        return (obj as Record<string, unknown>)[n];
      });
    } else {
      values = params.length === 1 && Array.isArray(params[0]) ? (params[0] as unknown[]) : params;
      if (values.length !== count)
        throw new RangeError(`Too ${values.length < count ? 'few' : 'many'} parameter values were provided`);
    }
    return values.map((v) => {
      if (v === undefined) throw new TypeError(`undefined is not a SQL value: ${oneLine(this.source)}`);
      return typeof v === 'boolean' ? (v ? 1 : 0) : v;
    });
  }

  #rows(r: { fields: string[]; rows: unknown[][] }): unknown[] {
    if (this.#pluck) return r.rows.map((row) => row[0]);
    const keys = r.fields.map((f) => this.sql.aliases.get(f) ?? f);
    return r.rows.map((row) => {
      const o: Record<string, unknown> = {};
      keys.forEach((k, i) => (o[k] = row[i]));
      return o;
    });
  }

  #query(params: unknown[]) {
    return this.db.query(this.sql.text, this.#values(params), { name: this.db.nameFor(this.sql.text) });
  }

  run(...params: unknown[]): RunResult {
    const r = this.#query(params);
    const db = this.db;
    return {
      changes: r.rowCount,
      // Only meaningful right after an INSERT into a table with an identity column.
      get lastInsertRowid(): number {
        return db.query('SELECT lastval()').rows[0]![0] as number;
      },
    };
  }

  get(...params: unknown[]): unknown {
    return this.#rows(this.#query(params))[0];
  }

  all(...params: unknown[]): unknown[] {
    return this.#rows(this.#query(params));
  }

  /** A server-side cursor (WITH HOLD: it outlives the statement's implicit transaction), read in batches. */
  *iterate(...params: unknown[]): IterableIterator<unknown> {
    const values = this.#values(params);
    const cursor = this.db.nextCursor();
    this.db.query(`DECLARE ${cursor} NO SCROLL CURSOR WITH HOLD FOR ${this.sql.text}`, values);
    try {
      for (;;) {
        const r = this.db.query(`FETCH ${FETCH_ROWS} FROM ${cursor}`);
        yield* this.#rows(r);
        if (r.rows.length < FETCH_ROWS) break;
      }
    } finally {
      try {
        this.db.query(`CLOSE ${cursor}`);
      } catch {
        // Closed already by a rollback of the transaction it was declared in, or the connection is gone.
      }
    }
  }
}
