// Runs the job process with Electron's utilityProcess.fork behind the app's ForkRunner interface.
import { utilityProcess } from 'electron';
import type { ForkRunner } from '../jobs/host';

/**
 * utilityProcess is Electron's sanctioned way to run Node work off the main process: it has Electron's Node ABI
 * (the same better-sqlite3 binding as main) and talks over `process.parentPort`, which the runner entry detects.
 * It must be called after `ready`. Messages posted before the child is up are queued by Electron.
 */
export const utilityForkRunner: ForkRunner = (entry, args, env) => {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value;
  const child = utilityProcess.fork(entry, args, {
    env: childEnv,
    serviceName: 'FaceInsight job runner',
    stdio: 'inherit',
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (msg) => {
      child.postMessage(msg);
    },
    onMessage: (fn) => {
      child.on('message', (msg: unknown) => fn(msg));
    },
    onExit: (fn) => {
      child.on('exit', (code) => fn(code));
    },
    kill: (signal) => {
      // utilityProcess.kill() only sends SIGTERM; the host escalates to SIGKILL for a runner that will not stop.
      if (signal && child.pid !== undefined) {
        try {
          process.kill(child.pid, signal);
          return;
        } catch {
          // Already gone: fall back to Electron's kill, which is a no-op then.
        }
      }
      child.kill();
    },
  };
};
