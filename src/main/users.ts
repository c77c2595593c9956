// Personal tokens for team mode: made once for `faceinsight users add`, kept only as a sha256, checked per request.
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../shared/errors';
import type { UserRole } from '../shared/api';
import type { Store, UserRow } from './store/index';
import type { Caller } from './service';

/** A user name: what History shows and label_events.actor records. */
const NAME = /^[\p{L}\p{N}][\p{L}\p{N}._ -]{0,62}$/u;

/** A fresh personal token: `fi_` + 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return `fi_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The active user a presented token belongs to, or null (unknown or revoked). */
export function userByToken(store: Store, token: string): Caller | null {
  if (!token.startsWith('fi_')) return null;
  const u = store.team.userByTokenHash(hashToken(token));
  return u ? { id: u.id, name: u.name, role: u.role } : null;
}

/** Adds a user and returns their token (shown once; only its hash is stored). */
export function addUser(store: Store, name: string, role: UserRole): { user: UserRow; token: string } {
  if (!NAME.test(name)) {
    throw new AppError(
      'invalid_request',
      `user name "${name}": expected 1-63 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit`,
      { where: { field: 'name' } },
    );
  }
  const token = newToken();
  const user = store.write(() => {
    const existing = store.team.user(name);
    if (existing) {
      throw new AppError(
        'conflict',
        `user "${name}" exists${existing.disabledAt !== null ? ' (revoked)' : ''}; names stay unique since History shows them`,
        { where: { field: 'name' }, hint: 'Choose another name.' },
      );
    }
    store.team.addUser({ name, role, tokenHash: hashToken(token) });
    return store.team.user(name)!;
  });
  return { user, token };
}
