// `faceinsight migrate --from A --to B`: copies a local database into a team database (SQLite -> PostgreSQL) or
// back, ids kept, and checks every table (rows, ids, checksum) before committing.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError } from '../../shared/errors';
import { copyDatabase } from '../store/copy';
import { isPostgresUrl } from '../store/index';
import { parse, UsageError } from './common';

export const MIGRATE_HELP = `  faceinsight migrate --from FILE|URL --to FILE|URL [--json]
      Copies every table of one database into another, empty one: a SQLite file into PostgreSQL
      (postgres://user@host/db) or back. Ids are kept; each table's row count, ids and a checksum of its rows
      are compared before the copy commits. Refuses a target that already holds data.`;

function target(v: string): string {
  return isPostgresUrl(v) ? v : resolve(v);
}

export async function migrateCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`migrate: unexpected argument "${positionals[0]}"`);
  if (!values.from || !values.to) throw new UsageError('migrate: --from and --to are required');
  const from = target(values.from);
  const to = target(values.to);
  if (from === to) throw new UsageError('migrate: --from and --to name the same database');
  if (!isPostgresUrl(from) && !existsSync(from)) {
    throw new AppError('io_error', `no database file at ${from}`, { where: { file: from } });
  }
  const report = copyDatabase(from, to);
  if (values.json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  const width = Math.max(...report.tables.map((t) => t.table.length));
  console.error(`migrated ${report.from} -> ${report.to} (schema ${report.schemaVersion}, ${report.ms} ms)`);
  for (const t of report.tables) {
    const note = t.derived ? '  (rebuilt by triggers, verified)' : '';
    console.error(
      `  ${t.table.padEnd(width)}  ${String(t.rows).padStart(9)} rows  ${t.checksum.slice(0, 12)}${note}`,
    );
  }
  console.error(`every table verified: row counts, ids and checksums equal`);
  return 0;
}
