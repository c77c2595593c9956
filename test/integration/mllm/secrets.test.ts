// Where MLLM API keys live: a 0600 file (browser mode, CLI), or encrypted through a safeStorage-like keychain
// (the desktop app's seam; Electron itself is never imported by tests), never as plain text there.
import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { safeStorageSecretStore, type SafeStorageLike } from '../../../src/main/electron/secrets';
import { fileSecretStore } from '../../../src/main/mllm/secrets';
import { tempDir } from '../../helpers/fs';

const KEY = 'sk-secret-store-1234567890';

/** A stand-in for the OS keychain (Electron's API, not our code): XOR with a fixed pad, reversible, not plain. */
function keychain(available = true): SafeStorageLike {
  const pad = (b: Buffer) => Buffer.from(b.map((x, i) => x ^ ((0x5a + i) % 256)));
  return {
    isEncryptionAvailable: () => available,
    encryptString: (s) => pad(Buffer.from(s, 'utf8')),
    decryptString: (b) => pad(b).toString('utf8'),
  };
}

describe('MLLM key stores', () => {
  it('keeps keys in a 0600 file in a 0700 folder, and deletes one on request', () => {
    const { dir, cleanup } = tempDir('fi-secrets-');
    try {
      const s = fileSecretStore(dir);
      expect(s.get('a')).toBeNull();
      s.set('a', KEY);
      s.set('b', 'other');
      expect(s.get('a')).toBe(KEY);
      expect(s.all()).toEqual({ a: KEY, b: 'other' });
      expect(statSync(join(dir, 'secrets', 'mllm-keys.json')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
      s.set('a', null);
      expect(s.has('a')).toBe(false);
      expect(s.get('b')).toBe('other');
    } finally {
      cleanup();
    }
  });

  it('stores only the keychain-encrypted key in the desktop app, and refuses without a keychain', () => {
    const { dir, cleanup } = tempDir('fi-secrets-');
    try {
      const s = safeStorageSecretStore(dir, keychain());
      s.set('a', KEY);
      expect(s.get('a')).toBe(KEY);
      const file = join(dir, 'secrets', 'mllm-keys.safe.json');
      expect(readFileSync(file, 'utf8')).not.toContain(KEY);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(() => safeStorageSecretStore(dir, keychain(false)).set('b', KEY)).toThrow(/keychain/);
      expect(safeStorageSecretStore(dir, keychain()).has('b')).toBe(false);
    } finally {
      cleanup();
    }
  });
});
