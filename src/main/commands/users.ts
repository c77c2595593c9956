// `faceinsight users add|list|revoke`: the people of a team database and their personal tokens (team mode).
import { AppError } from '../../shared/errors';
import type { UserRole } from '../../shared/api';
import { dataPaths, resolveDataDir } from '../paths';
import { openStore, type Store } from '../store/index';
import { addUser } from '../users';
import { parse, UsageError } from './common';

export const USERS_HELP = `  faceinsight users add NAME [--role admin|reviewer] [--json] [--db FILE|URL]
  faceinsight users list [--json]
  faceinsight users revoke NAME
      People for team mode (\`serve\` on a PostgreSQL --db, or \`serve --team\`). \`add\` prints the new
      user's personal token once on stdout (only its sha256 is kept; a lost token means revoke and add
      again under a new name); --role: reviewer (default: labels and reviews) or admin (also datasets,
      analysis, exports, rules, settings, jobs). \`list\` shows names, roles and dates, never tokens.
      \`revoke\` ends a token at once; the name stays in History.`;

const ROLES: readonly UserRole[] = ['admin', 'reviewer'];

function withStore<T>(values: { 'data-dir'?: string; db?: string }, fn: (store: Store) => T): T {
  const store = openStore(dataPaths(resolveDataDir(values['data-dir']), values.db).dbPath);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const day = (ms: number | null) =>
  ms === null ? '' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export async function usersCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { role: { type: 'string' }, json: { type: 'boolean' } });
  const [sub, name, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`users: unexpected argument "${extra}"`);
  if (sub === 'add') {
    if (!name) throw new UsageError('users add: a NAME is required');
    const role = (values.role ?? 'reviewer') as UserRole;
    if (!ROLES.includes(role)) {
      throw new UsageError(`users add --role: expected admin or reviewer, got "${values.role}"`);
    }
    const { user, token } = withStore(values, (store) => addUser(store, name, role));
    if (values.json) console.log(JSON.stringify({ name: user.name, role: user.role, token }));
    else {
      console.error(`added ${user.role} "${user.name}"; their personal token (shown only now):`);
      console.log(token);
    }
    return 0;
  }
  if (values.role !== undefined) throw new UsageError('users: --role belongs to `users add`');
  if (sub === 'list') {
    if (name !== undefined) throw new UsageError(`users list: unexpected argument "${name}"`);
    const users = withStore(values, (store) => store.team.users());
    if (values.json) {
      console.log(
        JSON.stringify(
          users.map(({ name: n, role, createdAt, disabledAt }) => ({
            name: n,
            role,
            createdAt,
            revokedAt: disabledAt,
          })),
        ),
      );
      return 0;
    }
    if (users.length === 0) console.error('no users yet: faceinsight users add NAME --role admin');
    const width = Math.max(4, ...users.map((u) => u.name.length));
    for (const u of users) {
      const state = u.disabledAt === null ? 'active' : `revoked ${day(u.disabledAt)}`;
      console.log(`${u.name.padEnd(width)}  ${u.role.padEnd(8)}  added ${day(u.createdAt)}  ${state}`);
    }
    return 0;
  }
  if (sub === 'revoke') {
    if (!name) throw new UsageError('users revoke: a NAME is required');
    const done = withStore(values, (store) => {
      const u = store.team.user(name);
      if (!u) throw new AppError('not_found', `no user "${name}"`, { where: { field: 'name' } });
      return store.write(() => store.team.revokeUser(name));
    });
    console.error(
      done ? `revoked "${name}": their token no longer opens the app` : `"${name}" was already revoked`,
    );
    return 0;
  }
  throw new UsageError(
    sub ? `users: unknown subcommand "${sub}" (add, list, revoke)` : 'users: add, list or revoke?',
  );
}
