// The application menu: File (Open Folder…, Quit), Edit (so copy / paste work in text fields on macOS), View
// (reload and devtools in unpackaged runs only), Help (About).
import { Menu, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openFolder(): void;
  about(): void;
}

export function buildMenuTemplate(opts: {
  dev: boolean;
  mac: boolean;
  actions: MenuActions;
}): MenuItemConstructorOptions[] {
  const { dev, mac, actions } = opts;
  const template: MenuItemConstructorOptions[] = [];
  if (mac) template.push({ role: 'appMenu' });
  template.push({
    label: '&File',
    submenu: [
      { label: 'Open Folder…', accelerator: 'CmdOrCtrl+O', click: () => actions.openFolder() },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  });
  template.push({ role: 'editMenu' });
  if (dev) {
    template.push({
      label: '&View',
      submenu: [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }],
    });
  }
  template.push({
    role: 'help',
    submenu: [{ label: 'About FaceInsight Studio', click: () => actions.about() }],
  });
  return template;
}

export function installMenu(opts: { dev: boolean; actions: MenuActions }): void {
  const template = buildMenuTemplate({ ...opts, mac: process.platform === 'darwin' });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
