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
