// Electron app lifecycle: one instance per data dir, the fi-asset scheme, the app host over IPC, the window, quit.
import { app, BrowserWindow, ipcMain, safeStorage, session, type IpcMainInvokeEvent } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataDir, startApp, type AppHost } from '../app';
import { openConnection, type Connection } from '../remote/connection';
import { registerIpc, EVENT_CHANNEL, type IpcMainLike } from '../transports/ipc';
import { isAppPage, rendererSource, type RendererSource } from '../security';
import { flagValue } from './argv';
import { handleAssetProtocol, registerAssetScheme } from './asset-protocol';
import { confirmPath, pickFolder, showAbout, showError } from './dialogs';
import { installMenu } from './menu';
import { safeStorageSecretStore } from './secrets';
import { utilityForkRunner } from './utility-runner';
import { createMainWindow, guardWebContents, hardenSession } from './window';
import { logger } from '../log';
import { PathGrants } from '../path-grants';
import { AppError } from '../../shared/errors';

const PRODUCT_NAME = 'FaceInsight Studio';
/** Set by `npm start` (a separate Electron-ABI build) or, packaged, found under resources/native. */
const SQLITE_BINDING_ENV = 'FACEINSIGHT_SQLITE_BINDING';

/**
 * IPC is answered only for frames showing the app's own page: a frame that somehow navigated elsewhere gets a
 * refusal in the usual envelope, never the API.
 */
function guardedIpc(renderer: RendererSource): IpcMainLike {
  return {
    handle(channel, fn) {
      ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]) => {
        const url = event.senderFrame?.url ?? '';
        if (!isAppPage(url, renderer)) {
          return {
            ok: false,
            error: { code: 'invalid_request', message: 'IPC from a page that is not the app' },
          };
        }
        return fn(event, ...args);
      });
    },
    removeHandler: (channel) => ipcMain.removeHandler(channel),
  };
}

/**
 * The API as the renderer reaches it: a call naming a path outside what the user chose or opened asks the user
 * first (a native dialog in main, which a compromised renderer cannot answer) and is refused when declined.
 */
function pathGuarded(
  host: Pick<AppHost, 'call' | 'on'>,
  grants: PathGrants,
  parent: () => BrowserWindow | null,
): Pick<AppHost, 'call' | 'on'> {
  void host.call('datasets.list', {}).then((res) => {
    if (res.ok) for (const d of (res.value as { items: { root: string }[] }).items) grants.grant(d.root);
  });
  return {
    on: (fn) => host.on(fn),
    call: async (method, req) => {
      try {
        await grants.admit(method, req, (path, access) => confirmPath(parent(), path, access));
      } catch (err) {
        return { ok: false, error: AppError.from(err).toJSON() };
      }
      return host.call(method, req);
    },
  };
}

/** Packaged builds ship better-sqlite3 compiled for Electron's ABI beside the app (electron-builder.yml). */
function usePackagedSqliteBinding(): void {
  if (!app.isPackaged || process.env[SQLITE_BINDING_ENV]) return;
  const binding = join(process.resourcesPath, 'native', 'better_sqlite3.node');
  if (existsSync(binding)) process.env[SQLITE_BINDING_ENV] = binding;
}

export function runElectronApp(): void {
  const dataDir = resolveDataDir(flagValue(process.argv, '--data-dir'));
  app.setName(PRODUCT_NAME);
  // Chromium's profile lives inside our data dir: the single-instance lock is per userData, so two data dirs can
  // run side by side (tests, a second library) while a second launch on the same data focuses the first window.
  app.setPath('userData', join(dataDir, 'electron'));
  registerAssetScheme();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  usePackagedSqliteBinding();

  const dev = !app.isPackaged;
  const appPath = app.getAppPath();
  const renderer = rendererSource({
    devUrl: process.env.ELECTRON_RENDERER_URL,
    packaged: app.isPackaged,
    indexHtml: join(appPath, 'out', 'renderer', 'index.html'),
  });
  // The local database or a team server (remote/connection.ts): every IPC call and asset goes through it.
  let host: Connection | null = null;
  let win: BrowserWindow | null = null;
  const cleanups: (() => void)[] = [];
  // Paths the renderer may name: folders picked in our dialogs, opened datasets, paths the user confirmed.
  const grants = new PathGrants();
  const pick = async (title?: string): Promise<string | null> => {
    const picked = await pickFolder(win, title);
    if (picked) grants.grant(picked);
    return picked;
  };

  const openWindow = (): BrowserWindow => {
    const icon = join(appPath, 'build', 'icon.png');
    const created = createMainWindow({
      renderer,
      preload: join(appPath, 'out', 'preload', 'index.cjs'),
      title: PRODUCT_NAME,
      ...(dev && existsSync(icon) ? { icon } : {}),
    });
    created.on('closed', () => {
      if (win === created) win = null;
    });
    win = created;
    return created;
  };

  const focusWindow = (): void => {
    if (!win) {
      if (host) openWindow();
      return;
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  const openFolder = async (): Promise<void> => {
    if (!host) return;
    const root = await pick();
    if (!root) return;
    // The renderer learns of the new dataset from the job's `datasets.updated` / `jobs.progressed` events.
    const res = await host.call('datasets.create', { root });
    if (!res.ok) await showError(win, 'Could not open the folder', res.error.message);
  };

  app.on('second-instance', focusWindow);
  // Every web contents, ours or not, gets the same guard before it can load anything.
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, renderer));

  app.on('window-all-closed', () => {
    // macOS apps stay in the dock with no window; everywhere else closing the window ends the app.
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', focusWindow);

  // Stop the job process and close the database before exiting; quit again once that is done.
  let closing = false;
  let closed = false;
  app.on('before-quit', (event) => {
    if (closed || !host) return;
    event.preventDefault();
    if (closing) return;
    closing = true;
    for (const cleanup of cleanups.splice(0)) cleanup();
    host
      .close()
      .catch((err: unknown) => logger().error({ err }, 'error while closing the app'))
      .finally(() => {
        closed = true;
        app.quit();
      });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  app
    .whenReady()
    .then(async () => {
      hardenSession(session.defaultSession, renderer);
      const started = await openConnection({
        dataDir,
        startLocal: () =>
          startApp({
            dataDir,
            mode: 'electron',
            pickFolder: pick,
            forkRunner: utilityForkRunner,
            runnerEntry: join(appPath, 'out', 'main', 'job-runner.js'),
            secrets: safeStorageSecretStore(dataDir, safeStorage),
          }),
        // The team server's personal token, encrypted with the OS keychain like the MLLM keys.
        secrets: safeStorageSecretStore(dataDir, safeStorage, 'team.safe.json'),
      });
      host = started;
      cleanups.push(
        // The whole request reaches the active backend: the query (mask source / version) too.
        handleAssetProtocol(session.defaultSession.protocol, () => started.backend()),
      );
      cleanups.push(
        registerIpc(
          guardedIpc(renderer),
          pathGuarded(started, grants, () => win),
          (event, payload) => {
            for (const w of BrowserWindow.getAllWindows()) {
              if (!w.isDestroyed()) w.webContents.send(EVENT_CHANNEL, event, payload);
            }
          },
        ),
      );
      installMenu({
        dev,
        actions: {
          openFolder: () =>
            void openFolder().catch((err: unknown) => logger().error({ err }, 'Open Folder failed')),
          about: () => void showAbout(win, dataDir),
        },
      });
      openWindow();
    })
    .catch(async (err: unknown) => {
      console.error('FaceInsight Studio could not start:', err);
      logger().fatal({ err }, 'FaceInsight Studio could not start');
      await showError(
        null,
        'FaceInsight Studio could not start',
        err instanceof Error ? err.message : String(err),
      );
      app.exit(1);
    });
}
