// The asset path guard: only files under the dataset root, no traversal, no absolute paths, no symlink escape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardPath } from '../../../src/main/assets';
import { tempDir } from '../../helpers/fs';

let dir: string;
let root: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  root = join(dir, 'dataset');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'sub', 'a.jpg'), 'a');
  writeFileSync(join(dir, 'secret.txt'), 'outside');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'escape.jpg'));
  symlinkSync(dir, join(root, 'up'));
  symlinkSync(join(root, 'sub', 'a.jpg'), join(root, 'inside-link.jpg'));
});
afterAll(() => cleanup());

describe('guardPath', () => {
  it('resolves a file under the root', async () => {
    expect(await guardPath(root, 'sub/a.jpg')).toBe(join(root, 'sub', 'a.jpg'));
  });

  it('follows a symlink that stays inside the root', async () => {
    expect(await guardPath(root, 'inside-link.jpg')).toBe(join(root, 'sub', 'a.jpg'));
  });

  it.each(['../secret.txt', 'sub/../../secret.txt', '..', 'sub\\..\\..\\secret.txt'])(
    'rejects traversal %s',
    async (p) => {
      await expect(guardPath(root, p)).rejects.toMatchObject({
        code: 'invalid_request',
        message: expect.stringMatching(/\.\./),
      });
    },
  );

  it.each(['/tmp/secret.txt', '/etc/passwd', 'C:\\Windows\\win.ini', '\\\\server\\share'])(
    'rejects absolute path %s',
    async (p) => {
      await expect(guardPath(root, p)).rejects.toMatchObject({
        code: 'invalid_request',
        message: expect.stringMatching(/absolute/),
      });
    },
  );

  it('rejects symlinks that escape the root', async () => {
    await expect(guardPath(root, 'escape.jpg')).rejects.toMatchObject({
      message: expect.stringMatching(/outside/),
    });
    await expect(guardPath(root, 'up/secret.txt')).rejects.toMatchObject({
      message: expect.stringMatching(/outside/),
    });
  });

  it('reports a missing file as not_found and refuses NUL bytes', async () => {
    await expect(guardPath(root, 'sub/none.jpg')).rejects.toMatchObject({ code: 'not_found' });
    await expect(guardPath(root, 'sub/a.jpg\0.png')).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
