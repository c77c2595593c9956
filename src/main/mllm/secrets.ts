// Where MLLM endpoints' API keys live: never in the database, settings.json, logs or exports. This module is
// the seam: a 0600 file in the data dir (browser mode, CLI), or Electron's safeStorage (electron/secrets.ts).
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SecretStore {
  get(id: string): string | null;
  /** Stores (a string) or deletes (null) the key of one endpoint. */
  set(id: string, key: string | null): void;
  has(id: string): boolean;
  /** Every stored key (the desktop app hands them to the job process, which cannot reach the OS keychain). */
  all(): Record<string, string>;
}

export const SECRETS_DIR = 'secrets';

/** A JSON object of strings in `file`, written 0600 in a 0700 folder (temp file + rename). */
export function jsonSecretFile(
  file: string,
  encode: (s: string) => string = (s) => s,
  decode: (s: string) => string = (s) => s,
): SecretStore {
  const read = (): Record<string, string> => {
    try {
      const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(json).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])),
      );
    } catch {
      return {}; // no keys stored yet (or an unreadable file: the endpoints then run without a key)
    }
  };
  const write = (all: Record<string, string>) => {
    const dir = join(file, '..');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  };
  return {
    get(id) {
      const v = read()[id];
      return v === undefined ? null : decode(v);
    },
    set(id, key) {
      const all = read();
      if (key === null) delete all[id];
      else all[id] = encode(key);
      write(all);
    },
    has(id) {
      return read()[id] !== undefined;
    },
    all() {
      return Object.fromEntries(Object.entries(read()).map(([k, v]) => [k, decode(v)]));
    },
  };
}

/** Browser mode and the CLI: `<dataDir>/secrets/mllm-keys.json`, readable by the user only. */
export function fileSecretStore(dataDir: string): SecretStore {
  return jsonSecretFile(join(dataDir, SECRETS_DIR, 'mllm-keys.json'));
}
