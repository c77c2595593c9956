// Where app data lives: --data-dir > FACEINSIGHT_DATA_DIR > the OS's app data dir (README, "Run").
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPostgresUrl } from './store/target';

export const APP_DIR_NAME = 'faceinsight-studio';

export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.FACEINSIGHT_DATA_DIR) return resolve(env.FACEINSIGHT_DATA_DIR);
  if (process.platform === 'win32') {
    return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_DIR_NAME);
  }
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_DIR_NAME);
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), APP_DIR_NAME);
}

export interface DataPaths {
  dataDir: string;
  /** The database: a SQLite file path, or a postgres:// URL (may hold a password: log redactDbTarget(dbPath)). */
  dbPath: string;
  thumbsDir: string;
  userModelsDir: string;
}

/** `dbPath`: --db (a file or a postgres:// URL) > FACEINSIGHT_DB > <dataDir>/faceinsight.db. */
export function dataPaths(dataDir: string, dbPath?: string, env: NodeJS.ProcessEnv = process.env): DataPaths {
  const target = dbPath || env.FACEINSIGHT_DB || undefined;
  return {
    dataDir,
    dbPath: !target ? join(dataDir, 'faceinsight.db') : isPostgresUrl(target) ? target : resolve(target),
    thumbsDir: join(dataDir, 'thumbs'),
    userModelsDir: join(dataDir, 'models'),
  };
}

/**
 * The folder holding package.json, found from this module: src/main (tsx, tests) and out/main (built) are both
 * two levels down. Packaged Electron apps pass `resourcesPath` instead.
 */
export function projectRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}

/** resources/ beside the app: bundled model manifests, rules, sample photos. */
export function resourcesDir(): string {
  const packaged = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (packaged && existsSync(join(packaged, 'resources'))) return join(packaged, 'resources');
  return join(projectRoot(), 'resources');
}
