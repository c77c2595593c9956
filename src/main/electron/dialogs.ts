// Native dialogs: the folder picker handed to the app as `pickFolder`, the About box, fatal errors.
import { app, dialog, type BrowserWindow, type OpenDialogOptions } from 'electron';

/** Shows the OS folder picker (modal to `parent` when there is one); null when the user cancels. */
export async function pickFolder(parent: BrowserWindow | null, title?: string): Promise<string | null> {
  const options: OpenDialogOptions = {
    title: title ?? 'Open a folder of face images',
    buttonLabel: 'Open folder',
    properties: ['openDirectory', 'dontAddToRecent'],
  };
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

export async function showAbout(parent: BrowserWindow | null, dataDir: string): Promise<void> {
  const { versions } = process;
  const options = {
    type: 'info' as const,
    title: `About ${app.getName()}`,
    message: `${app.getName()} ${app.getVersion()}`,
    detail: [
      'Review and correct face-perception datasets with local face models, parsing maps and logical rules.',
      '',
      `Data: ${dataDir}`,
      `Electron ${versions.electron}, Chromium ${versions.chrome}, Node ${versions.node}`,
    ].join('\n'),
    buttons: ['OK'],
  };
  if (parent) await dialog.showMessageBox(parent, options);
  else await dialog.showMessageBox(options);
}

export async function showError(
  parent: BrowserWindow | null,
  message: string,
  detail?: string,
): Promise<void> {
  const options = {
    type: 'error' as const,
    title: app.getName(),
    message,
    detail: detail ?? '',
    buttons: ['OK'],
  };
  if (parent) await dialog.showMessageBox(parent, options);
  else await dialog.showMessageBox(options);
}

/** Asks whether the app may read or write a path the window asked for that the user never chose here. */
export async function confirmPath(
  parent: BrowserWindow | null,
  path: string,
  access: 'read' | 'write',
): Promise<boolean> {
  const options = {
    type: 'question' as const,
    title: app.getName(),
    message: access === 'read' ? `Allow the app to read ${path}?` : `Allow the app to write into ${path}?`,
    detail: 'The window asked for a path you have not chosen or opened in this session.',
    buttons: ['Allow', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
  };
  const r = parent ? await dialog.showMessageBox(parent, options) : await dialog.showMessageBox(options);
  return r.response === 0;
}
