// The desktop renderer's path powers: only chosen, opened or confirmed paths reach path-taking API calls.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PathGrants, canonicalPath, type ConfirmPath } from '../../../src/main/path-grants';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'fi-grants-'));
  dirs.push(d);
  return canonicalPath(d);
}

describe('path grants', () => {
  it('lets through paths under a granted folder and asks for the rest', async () => {
    const root = temp();
    const photos = join(root, 'photos');
    mkdirSync(photos);
    const grants = new PathGrants();
    grants.grant(photos);
    const asked: [string, string, string][] = [];
    const deny: ConfirmPath = async (p, access, method) => (asked.push([p, access, method]), false);

    await grants.admit('datasets.create', { root: join(photos, 'sub') }, deny);
    await grants.admit(
      'datasets.importAnnotations',
      { datasetId: 1, annotations: join(photos, 'a.txt') },
      deny,
    );
    expect(asked).toEqual([]);

    // Outside, and `..` tricks that lead outside: asked, refused, nothing granted.
    for (const sneaky of [join(root, 'etc'), join(photos, '..', 'etc'), '/etc/passwd']) {
      await expect(
        grants.admit('datasets.importAnnotations', { annotations: sneaky }, deny),
      ).rejects.toMatchObject({
        code: 'invalid_request',
        where: { field: 'annotations' },
      });
    }
    await expect(grants.admit('exports.start', { out: '/tmp/x', datasetId: 1 }, deny)).rejects.toThrow(
      /not allowed to write to \/tmp\/x/,
    );
    expect(asked.map((a) => a[1])).toEqual(['read', 'read', 'read', 'write']);
    expect(grants.covers('/etc/passwd')).toBe(false);

    // Confirmed once: granted from then on.
    const allow: ConfirmPath = async () => true;
    await grants.admit('exports.start', { out: join(root, 'out') }, allow);
    expect(grants.covers(join(root, 'out', 'labels.txt'))).toBe(true);
    // Calls without paths, or with a non-string (the service refuses it), are not this module's business.
    await grants.admit('faces.get', { id: 1 }, deny);
    await grants.admit('datasets.create', { root: 42 }, deny);
    expect(asked).toHaveLength(4);
  });

  it('follows symlinks: a link inside a granted folder that points outside is not covered', () => {
    const root = temp();
    const inside = join(root, 'inside');
    const outside = join(root, 'outside');
    mkdirSync(inside);
    mkdirSync(outside);
    symlinkSync(outside, join(inside, 'link'));
    const grants = new PathGrants();
    grants.grant(inside);
    expect(grants.covers(join(inside, 'link', 'file.txt'))).toBe(false);
    expect(grants.covers(join(inside, 'not-yet', 'deeper'))).toBe(true);
  });
});
