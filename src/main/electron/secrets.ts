// The desktop app's MLLM key store: each key encrypted with Electron's safeStorage (the OS keychain: Keychain,
// DPAPI, libsecret / kwallet) before it reaches the 0600 file; the renderer never sees it.
import { join } from 'node:path';
import { jsonSecretFile, SECRETS_DIR, type SecretStore } from '../mllm/secrets';

/** The part of Electron's `safeStorage` this needs (the main process only has it). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * Keys in `<dataDir>/secrets/<file>` (default `mllm-keys.safe.json`; the team server's token: `team.safe.json`);
 * without OS encryption, saving a key is refused.
 */
export function safeStorageSecretStore(
  dataDir: string,
  safe: SafeStorageLike,
  file = 'mllm-keys.safe.json',
): SecretStore {
  return jsonSecretFile(
    join(dataDir, SECRETS_DIR, file),
    (plain) => {
      if (!safe.isEncryptionAvailable())
        throw new Error('the OS keychain is not available: the API key was not saved');
      return safe.encryptString(plain).toString('base64');
    },
    (stored) => safe.decryptString(Buffer.from(stored, 'base64')),
  );
}
