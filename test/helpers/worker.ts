// Starts `faceinsight worker` (through tsx) and waits for its ready line (models loaded): the team-worker tests
// and `npm run bench -- team` launch workers the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './fs';

export interface WorkerProcess {
  proc: ChildProcess;
  /** Its id in job_items.worker. */
  id: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export async function startWorker(
  db: string,
  dataDir: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src/main/cli.ts'),
      'worker',
      '--db',
      db,
      '--data-dir',
      dataDir,
      '--ep',
      'cpu',
      ...extra,
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (/worker (worker-\S+) on .*: ready/.test(err)) {
        clearInterval(poll);
        resolve();
      } else if (proc.exitCode !== null) {
        clearInterval(poll);
        reject(new Error(`worker exited ${proc.exitCode}: ${err}`));
      }
    }, 50);
  });
  const id = /worker (worker-\S+) on/.exec(err)![1]!;
  return { proc, id, stderr: () => err, exited };
}
