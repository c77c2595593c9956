// The `faceinsight` command (Node entry): dispatches to src/main/commands/*; exit 0 ok, 1 data problems, 2 usage / bad
// input.
import { AppError, formatError } from '../shared/errors';
import { appVersion, resolveDataDir } from './app';
import { UsageError } from './commands/common';
import { SERVE_HELP, serve } from './commands/serve';
import { IMPORT_HELP, importCmd } from './commands/import';
import { EXPORT_HELP, exportCmd } from './commands/export';
import { CHECK_HELP, checkCmd } from './commands/check';
import { ANALYZE_HELP, analyzeCmd } from './commands/analyze';
import { DOCTOR_HELP, doctorCmd } from './commands/doctor';
import { LEARN_HELP, learnCmd } from './commands/learn';
import { AUDIT_HELP, auditCmd } from './commands/audit';
import { AUDIT_MLLM_HELP, auditMllmCmd } from './commands/audit-mllm';
import { JOBS_HELP, jobsCmd } from './commands/jobs';
import { MIGRATE_HELP, migrateCmd } from './commands/migrate';
import { WORKER_HELP, workerCmd } from './commands/worker';
import { USERS_HELP, usersCmd } from './commands/users';
import { logFileOpen, logger, openLog } from './log';

const HELP = `faceinsight — FaceInsight Studio from the command line

Usage:
${SERVE_HELP}
${IMPORT_HELP}
${EXPORT_HELP}
${ANALYZE_HELP}
${CHECK_HELP}
${DOCTOR_HELP}
${LEARN_HELP}
${AUDIT_HELP}
${AUDIT_MLLM_HELP}
${JOBS_HELP}
${MIGRATE_HELP}
${WORKER_HELP}
${USERS_HELP}

Options for every command:
  --data-dir DIR   app data (thumbnails, models, settings); default $FACEINSIGHT_DATA_DIR or the OS app data dir
  --db FILE|URL    the database: a SQLite file, or postgres://user@host[:port]/db (a team database on
                   PostgreSQL); default $FACEINSIGHT_DB, else <data-dir>/faceinsight.db
  -h, --help       this text
  -v, --version    the version
  --resume         (import, export) also run the unfinished jobs earlier commands left, oldest first; without
                   it a command runs only its own job and names the others in one line each

Exit codes: 0 ok; 1 the data has problems (a refused annotation file, a failed job, a broken error rule);
  2 usage or unreadable input (bad flags, a rules file that does not parse, a path that is missing, not a
  regular file or folder (a FIFO, /dev/null), an empty folder, or a file that cannot be read).
`;

const commands: Record<string, (args: string[]) => Promise<number>> = {
  serve,
  import: importCmd,
  export: exportCmd,
  check: checkCmd,
  analyze: analyzeCmd,
  doctor: doctorCmd,
  learn: learnCmd,
  audit: auditCmd,
  'audit-mllm': auditMllmCmd,
  jobs: jobsCmd,
  migrate: migrateCmd,
  worker: workerCmd,
  users: usersCmd,
};

/** Writes one error line into the data dir's log, opening it for that line when the command had closed it. */
function logFailure(args: readonly string[], fields: Record<string, unknown>, msg: string): void {
  if (logFileOpen()) {
    logger().error(fields, msg);
    return;
  }
  const at = args.indexOf('--data-dir');
  const given = at >= 0 ? args[at + 1] : undefined;
  try {
    const file = openLog(resolveDataDir(given), 'cli');
    logger().error(fields, msg);
    file.close();
  } catch {
    // No writable data dir: the terminal already has the message.
  }
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    console.log(HELP);
    return cmd ? 0 : 2;
  }
  if (cmd === '-v' || cmd === '--version') {
    console.log(appVersion());
    return 0;
  }
  const run = commands[cmd];
  if (!run) {
    console.error(`faceinsight: unknown command "${cmd}"\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`faceinsight ${cmd}: ${err.message}\nRun \`faceinsight --help\` for usage.`);
      return 2;
    }
    const e = AppError.from(err);
    console.error(`faceinsight ${cmd}: ${formatError(e)}${e.hint ? `\nhint: ${e.hint}` : ''}`);
    if (e.code === 'internal') console.error(err);
    // Into the log file (never a JSON line on the terminal); a bad request is the user's typo, not worth a line.
    if (e.code !== 'invalid_request')
      logFailure(rest, { err, command: cmd, code: e.code }, `faceinsight ${cmd} failed`);
    return e.code === 'io_error' || e.code === 'invalid_request' || e.code === 'parse_error' ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
