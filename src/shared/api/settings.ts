// The host and its settings: app.info, settings.*, system.*.
import type { ExecutionProviderRequest, ReviewStatus } from './common';
import type { FaceFilter } from './faces';
import type { MllmEndpoint } from './mllm';

export interface AppInfo {
  version: string;
  mode: 'electron' | 'browser';
  dataDir: string;
  dbPath: string;
  /** Folder with the bundled sample photos, or null when they were not built. */
  samplesDir: string | null;
  /** True when the host can show a native folder picker (`system.pickFolder`). */
  canPickFolder: boolean;
}

/** The provider decision of this machine (null before the first analysis) and, where a GPU is used, per model. */
export interface EpStatus {
  active: string | null;
  reason: string | null;
  at: number | null;
  /** Per-model decisions of `auto` on a GPU (a model may stay on CPU); empty when every model runs on `active`. */
  models: { id: string; provider: string; reason: string }[];
}

export interface AppSettings {
  ep: ExecutionProviderRequest;
  /** Per-attribute decision thresholds on P(+1) (default 0.5). */
  thresholds: Record<string, number>;
  theme: 'light' | 'dark' | 'system';
  /** Named gallery views (FaceQuery without datasetId). */
  views: {
    name: string;
    query: FaceFilter & { review?: ReviewStatus; hasViolations?: boolean; ruleKey?: string };
  }[];
  /** Enter on a face with open error violations shows them and needs a second Enter (default true). */
  confirmReviewedWithErrors?: boolean;
  /** Saved vision-LLM endpoints (`mllm.*`); their API keys live outside this file and the database. */
  mllmEndpoints?: MllmEndpoint[];
}

/** Where the desktop app's data comes from: its own database, or a team server (issue #32.5). */
export interface ConnectionState {
  target: 'local' | 'server';
  /** The team server's address (`https://host:port`) while connected to one, else null. */
  url: string | null;
  /** Who the token belongs to on the server (null: local, or the server is not in team mode). */
  user: string | null;
  /** True where the connection can be changed (the desktop app); `serve`'s pages are the server's own. */
  canConnect: boolean;
  /** Why the saved team server could not be reached at start (the app then opened its local database). */
  error: string | null;
}

export type SettingsApi = {
  /** Version, mode, data locations and host capabilities. */
  'app.info': { req: Record<string, never>; res: AppInfo };
  /** Native folder picker (Electron); resolves `{ path: null }` when cancelled. */
  'system.pickFolder': { req: { title?: string }; res: { path: string | null } };
  /** The app settings and the execution provider decision of this machine. */
  'settings.get': {
    req: Record<string, never>;
    res: { settings: AppSettings; ep: EpStatus };
  };
  /** Changes some settings (merged, validated, written atomically). */
  'settings.set': { req: Partial<AppSettings>; res: { settings: AppSettings } };
  /** The desktop app: its own database or the team server it is connected to. */
  'connection.get': { req: Record<string, never>; res: ConnectionState };
  /**
   * The desktop app: connects to a team server (URL + personal token, checked before switching; the token goes
   * to the OS keychain) or, with `server: null`, back to the local database. Elsewhere refused.
   */
  'connection.set': { req: { server: { url: string; token: string } | null }; res: ConnectionState };
};
