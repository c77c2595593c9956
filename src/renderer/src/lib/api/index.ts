// Picks the transport: the preload bridge inside Electron, else the HTTP client; the app never knows which.
import type { ApiClient } from '@shared/api';
import { createElectronApi } from './electron';
import { createHttpApi, readToken } from './http';

export function createApi(): ApiClient {
  if (window.api) return createElectronApi(window.api);
  return createHttpApi(readToken(window.location, window.sessionStorage));
}
