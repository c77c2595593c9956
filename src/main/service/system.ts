// app.info and system.*: what the host is, and what only the desktop host can do (native pickers).
import { AppError } from '../../shared/errors';
import type { Handlers, ServiceContext } from './context';

type SystemMethods = 'app.info' | 'system.pickFolder' | 'connection.get' | 'connection.set';

export function systemHandlers(ctx: ServiceContext): Pick<Handlers, SystemMethods> {
  const { deps } = ctx;
  return {
    'app.info': () => deps.info,
    'system.pickFolder': async ({ title }) => {
      if (!deps.pickFolder) {
        throw new AppError('invalid_request', 'this host has no folder picker; type the folder path instead');
      }
      return { path: await deps.pickFolder(title) };
    },
    // The desktop app answers connection.* in its main process (remote/connection.ts) before calls get here.
    'connection.get': () => ({ target: 'local', url: null, user: null, canConnect: false, error: null }),
    'connection.set': () => {
      throw new AppError('invalid_request', 'only the desktop app connects to a team server', {
        hint: "In the browser, open the team server's own address instead.",
      });
    },
  };
}
