// The one app window: sandboxed renderer, CSP, and every way to leave the app's page (navigation, popups,
// webviews, permission prompts) closed.
import { BrowserWindow, type Session, type WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY, isAppPage, isAppResponse, withCsp, type RendererSource } from '../security';
import { logger } from '../log';

export interface WindowOptions {
  renderer: RendererSource;
  /** Absolute path of the built preload (out/preload/index.cjs). */
  preload: string;
  title: string;
  /** Window icon for Linux / Windows when run unpackaged; packaged apps take theirs from the installer. */
  icon?: string;
}

/** Denies permission prompts and applies the CSP header to the session's app responses. Call once per session. */
export function hardenSession(ses: Session, renderer: RendererSource): void {
  // No feature of the app needs camera, notifications, geolocation, MIDI...: refuse them all without asking.
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (!isAppResponse(details.url, renderer)) return callback({});
    callback({ responseHeaders: withCsp(details.responseHeaders, CONTENT_SECURITY_POLICY) });
  });
}

/**
 * Closes every way out of the app's page for one web contents: no new windows, no navigation or redirect away
 * from the app's page, no webview. Registered on `web-contents-created`, so it covers the main window and any
 * contents created later (a devtools or a popup that slipped through), not only the window we made.
 */
export function guardWebContents(contents: WebContents, renderer: RendererSource): void {
  contents.on('will-navigate', (e, url) => {
    if (!isAppPage(url, renderer)) e.preventDefault();
  });
  contents.on('will-redirect', (e, url) => {
    if (!isAppPage(url, renderer)) e.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (e) => e.preventDefault());
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 800,
    minHeight: 560,
    title: opts.title,
    show: false,
    backgroundColor: '#1e1f22',
    ...(opts.icon ? { icon: opts.icon } : {}),
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  // Showing after the first paint avoids a white flash; the title is the app's, not the page's.
  win.once('ready-to-show', () => win.show());
  win.on('page-title-updated', (e) => e.preventDefault());

  // Navigation, popups and webviews are closed for every web contents by guardWebContents (web-contents-created).
  win.loadURL(opts.renderer.url).catch((err: unknown) => {
    logger().error({ err }, `could not load the renderer from ${opts.renderer.url}`);
  });
  return win;
}
