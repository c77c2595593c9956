// The log file: <data dir>/logs/faceinsight.log, JSON lines (pino) from every process, rotated by size at start.
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';

export const LOG_NAME = 'faceinsight.log';
/** A log at or past this size is rotated when the next app / CLI / serve process starts. */
export const MAX_LOG_BYTES = 10 * 1024 * 1024;
/** Rotated logs kept beside the current one: faceinsight.1.log (newest) … faceinsight.3.log. */
export const KEEP_LOGS = 3;

export type LogProcess = 'app' | 'cli' | 'jobs';

export interface LogFile {
  readonly file: string;
  close(): void;
}

// Synchronous writes: a few lines per job, and the CLI and the job process end with process.exit(), which
// would drop lines still queued in an async stream.
const toStderr = () => pino({ base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
let fallback: Logger = toStderr();
let current: Logger = fallback;

/** The process's logger: the log file once openLog ran, stderr before (tests that never open one, early errors). */
export function logger(): Logger {
  return current;
}

/** Whether the logger writes to a log file now (not to stderr, where a CLI's output must stay readable). */
export function logFileOpen(): boolean {
  return current !== fallback;
}

export function logDir(dataDir: string): string {
  return join(dataDir, 'logs');
}

/**
 * Shifts faceinsight.log -> .1.log -> … -> .KEEP.log (the oldest dropped) when the log reached `maxBytes`.
 * Only processes that start a session rotate (the job process appends to what its host opened): one process
 * renaming while another writes would split a session across files.
 */
export function rotateLogs(dir: string, maxBytes = MAX_LOG_BYTES, keep = KEEP_LOGS): void {
  const file = join(dir, LOG_NAME);
  if (!existsSync(file) || statSync(file).size < maxBytes) return;
  const nth = (i: number) => join(dir, LOG_NAME.replace(/\.log$/, `.${i}.log`));
  rmSync(nth(keep), { force: true });
  for (let i = keep - 1; i >= 1; i--) if (existsSync(nth(i))) renameSync(nth(i), nth(i + 1));
  renameSync(file, nth(1));
}

/** Points logger() at <dataDir>/logs/faceinsight.log (appending); `rotate` first rotates a full log. */
export function openLog(dataDir: string, proc: LogProcess, opts: { rotate?: boolean } = {}): LogFile {
  const dir = logDir(dataDir);
  mkdirSync(dir, { recursive: true });
  if (opts.rotate) rotateLogs(dir);
  const file = join(dir, LOG_NAME);
  const dest = pino.destination({ dest: file, sync: true, append: true });
  const log = pino({ base: { proc, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  current = log;
  return {
    file,
    close() {
      if (current === log) current = fallback = toStderr();
      dest.destroy();
    },
  };
}
