// Sandboxed preload: exposes the API contract's `call` / `on` to the renderer over IPC, and nothing else.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

// Channel names shared with src/main/transports/ipc.ts (the preload may not import main code).
const CALL = 'api:call';
const EVENT = 'api:event';

contextBridge.exposeInMainWorld('api', {
  call: (method: string, req: unknown): Promise<unknown> => ipcRenderer.invoke(CALL, method, req),
  on: (event: string, fn: (payload: unknown) => void): (() => void) => {
    const listener = (_e: IpcRendererEvent, name: unknown, payload: unknown): void => {
      if (name === event) fn(payload);
    };
    ipcRenderer.on(EVENT, listener);
    return () => {
      ipcRenderer.removeListener(EVENT, listener);
    };
  },
});
