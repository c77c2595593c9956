// Electron main entry (the Node entry is cli.ts): everything lives in electron/app.ts.
import { runElectronApp } from './electron/app';

runElectronApp();
