// Which disk paths the desktop renderer may hand to path-taking API calls. The renderer is untrusted: a path it
// sends must be one the user chose in a main-process dialog, lie under such a folder or an opened dataset's root,
// or be confirmed by the user in a main-process dialog now. Browser mode has no such check: the token holder is
// the user (docs/reliability.md).
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { AppError } from '../shared/errors';

export type PathAccess = 'read' | 'write';

/** Per API method, the request fields that name a path on disk, and what the call does there. */
export const PATH_FIELDS: Readonly<Record<string, readonly { field: string; access: PathAccess }[]>> = {
  'datasets.create': [{ field: 'root', access: 'read' }],
  'datasets.importAnnotations': [{ field: 'annotations', access: 'read' }],
  'exports.start': [{ field: 'out', access: 'write' }],
};

/** Asks the user (a native dialog in main) whether the app may use `path`; true when allowed. */
export type ConfirmPath = (path: string, access: PathAccess, method: string) => Promise<boolean>;

/** The canonical form of a path: absolute, `..` resolved, symlinks of its existing part followed. */
export function canonicalPath(p: string): string {
  const abs = resolve(p);
  // An export folder may not exist yet: resolve the deepest existing ancestor and keep the rest as written.
  let head = abs;
  let tail = '';
  for (;;) {
    try {
      const real = realpathSync(head);
      return tail ? resolve(real, tail) : real;
    } catch {
      const up = dirname(head);
      if (up === head) return abs;
      tail = tail ? `${head.slice(up.length + 1)}/${tail}` : head.slice(up.length + 1);
      head = up;
    }
  }
}

function within(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export class PathGrants {
  readonly #granted = new Set<string>();

  /** Allows `path` and everything under it (a folder the user picked, an opened dataset's root). */
  grant(path: string): void {
    this.#granted.add(canonicalPath(path));
  }

  covers(path: string): boolean {
    const p = canonicalPath(path);
    for (const g of this.#granted) if (within(p, g)) return true;
    return false;
  }

  /**
   * Lets a call through when every path it names is granted, or the user confirms the others now (they are then
   * granted); otherwise throws `invalid_request` naming the field. Calls that take no path pass untouched.
   */
  async admit(method: string, req: unknown, confirm: ConfirmPath): Promise<void> {
    const fields = PATH_FIELDS[method];
    if (!fields || typeof req !== 'object' || req === null) return;
    for (const { field, access } of fields) {
      const value = (req as Record<string, unknown>)[field];
      if (typeof value !== 'string' || value === '') continue; // the service's validation answers that
      if (this.covers(value)) continue;
      if (!(await confirm(canonicalPath(value), access, method))) {
        throw new AppError(
          'invalid_request',
          `${method}: the app was not allowed to ${access === 'read' ? 'read' : 'write to'} ${value}`,
          { where: { field }, hint: 'choose the path with the app’s Choose… button, or allow it when asked' },
        );
      }
      this.grant(value);
    }
  }
}
