// app.info and system.*: what the host is, and what only the desktop host can do (native pickers).
import { AppError } from '../../shared/errors';
import type { Handlers, ServiceContext } from './context';

export function systemHandlers(ctx: ServiceContext): Pick<Handlers, 'app.info' | 'system.pickFolder'> {
  const { deps } = ctx;
  return {
    'app.info': () => deps.info,
    'system.pickFolder': async ({ title }) => {
      if (!deps.pickFolder) {
        throw new AppError('invalid_request', 'this host has no folder picker; type the folder path instead');
      }
      return { path: await deps.pickFolder(title) };
    },
  };
}
