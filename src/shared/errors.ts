// The one error type that crosses the API, plus the `{ ok, value | error }` envelope both transports use.

export type ErrorCode =
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  | 'parse_error'
  | 'io_error'
  | 'model_error'
  | 'cancelled'
  /** No valid personal token (team mode). */
  | 'unauthorized'
  /** The user's role may not do this (team mode: admin-only actions). */
  | 'forbidden'
  | 'internal';

export interface ErrorWhere {
  file?: string;
  line?: number;
  column?: number;
  field?: string;
}

export interface AppErrorData {
  code: ErrorCode;
  message: string;
  where?: ErrorWhere;
  hint?: string;
}

export class AppError extends Error implements AppErrorData {
  readonly code: ErrorCode;
  readonly where?: ErrorWhere;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, extra: { where?: ErrorWhere; hint?: string } = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    if (extra.where) this.where = extra.where;
    if (extra.hint) this.hint = extra.hint;
  }

  toJSON(): AppErrorData {
    const data: AppErrorData = { code: this.code, message: this.message };
    if (this.where) data.where = this.where;
    if (this.hint) data.hint = this.hint;
    return data;
  }

  static fromData(data: AppErrorData): AppError {
    return new AppError(data.code, data.message, { where: data.where, hint: data.hint });
  }

  /** Anything thrown becomes an AppError; unknown errors are `internal` (the caller logs the stack). */
  static from(err: unknown): AppError {
    if (err instanceof AppError) return err;
    if (isAppErrorData(err)) return AppError.fromData(err);
    const message = err instanceof Error ? err.message : String(err);
    return new AppError('internal', message || 'Unexpected error');
  }
}

export function isAppErrorData(x: unknown): x is AppErrorData {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as AppErrorData).code === 'string' &&
    typeof (x as AppErrorData).message === 'string'
  );
}

/** Formats `file:line:column: field "x": message` as CONTRIBUTING.md shows for parse errors. */
export function formatError(e: AppErrorData): string {
  const w = e.where;
  const loc = w?.file ? [w.file, w.line, w.column].filter((v) => v !== undefined).join(':') + ': ' : '';
  const field = w?.field && !w.file ? `${w.field}: ` : w?.field ? `field "${w.field}": ` : '';
  return `${loc}${field}${e.message}`;
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: AppErrorData };
