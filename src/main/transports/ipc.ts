// Electron transport, given an ipcMain-like adapter (imports no 'electron'): one invoke channel + one event channel.
import type { AppHost } from '../app';

export const CALL_CHANNEL = 'api:call';
export const EVENT_CHANNEL = 'api:event';

export interface IpcMainLike {
  handle(channel: string, fn: (event: unknown, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** Registers the call handler and forwards every event through `send`; returns the unregister function. */
export function registerIpc(
  ipc: IpcMainLike,
  host: Pick<AppHost, 'call' | 'on'>,
  send: (event: string, payload: unknown) => void,
): () => void {
  // Electron's invoke keeps only an Error's message, so errors travel as data inside the envelope.
  ipc.handle(CALL_CHANNEL, (_event, method, req) => host.call(method as string, req));
  const off = host.on((event, payload) => send(event, payload));
  return () => {
    off();
    ipc.removeHandler(CALL_CHANNEL);
  };
}
