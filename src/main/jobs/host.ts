// Starts and supervises the job process from the UI-serving process; relays its progress as events.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../paths';
import { eventOrigin, ORIGIN_ENV, type JobRecord, type Store } from '../store/index';
import type { ProgressReport } from './runner';
import { isRunnerMessage, WARM_ANALYSIS_ENV, type HostMessage } from './protocol';
import { logger } from '../log';

export interface RunnerProcess {
  readonly pid: number | undefined;
  send(msg: HostMessage): void;
  onMessage(fn: (msg: unknown) => void): void;
  onExit(fn: (code: number | null) => void): void;
  kill(signal?: NodeJS.Signals): void;
}
export type ForkRunner = (entry: string, args: string[], env: NodeJS.ProcessEnv) => RunnerProcess;

/** child_process.fork for Node, CLI and browser mode (Electron passes a utilityProcess adapter). */
export const nodeForkRunner: ForkRunner = (entry, args, env) => {
  const execArgv: string[] = [];
  if (entry.endsWith('.ts')) {
    // Tests and `tsx` runs: the child needs the TypeScript loader too.
    const tsx = createRequire(import.meta.url).resolve('tsx');
    execArgv.push('--import', pathToFileURL(tsx).href);
  }
  const child = fork(entry, args, { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    get pid() {
      return child.pid;
    },
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (fn) => void child.on('message', fn),
    onExit: (fn) => void child.on('exit', (code) => fn(code)),
    kill: (signal) => void child.kill(signal),
  };
};

/** The runner's entry: the built one next to out/main, else the TypeScript source (tests). */
export function defaultRunnerEntry(): string {
  const root = projectRoot();
  const built = join(root, 'out', 'main', 'job-runner.js');
  if (import.meta.url.endsWith('.ts') || !existsSync(built))
    return join(root, 'src', 'main', 'jobs', 'runner-entry.ts');
  return built;
}

export interface JobHostOptions {
  store: Store;
  dbPath: string;
  dataDir: string;
  entry?: string;
  fork?: ForkRunner;
  onProgress(p: ProgressReport): void;
  /** Restart a runner that died unexpectedly (default true), at most MAX_RUNNER_RESTARTS times in a row. */
  restart?: boolean;
  /**
   * `all` (the app, `serve`): the runner runs the app's queue, what earlier sessions left included, and the
   * jobs passed to wake(). `own` (a CLI command): only the jobs passed to wake(), which are marked as a
   * command's; neither scope resumes a command's job unasked.
   */
  scope?: 'all' | 'own';
  /** MLLM keys the job process cannot read itself (Electron's safeStorage), sent with each wake. */
  secrets?: () => Record<string, string>;
  /** PostgreSQL: the job process plans analysis jobs but leaves their items to `faceinsight worker`s. */
  dispatchOnly?: boolean;
  /** The provider whose analysis models the job process starts loading at once (see StartOptions.warmAnalysis). */
  warmAnalysis?: string;
}

/**
 * Restarts of a runner that keeps dying (no job ending in between); one more death and it is not started again
 * until the next wake(), and the jobs it was running (a command's own jobs) fail with the reason instead of
 * waiting forever. An item that kills it is given up after MAX_ITEM_ATTEMPTS claims, within these restarts.
 */
export const MAX_RUNNER_RESTARTS = 3;

export class JobHost {
  #opts: JobHostOptions;
  #child: RunnerProcess | null = null;
  #stopping = false;
  #restarts = 0;
  #own = new Set<number>();
  #listeners = new Set<(p: ProgressReport) => void>();

  constructor(opts: JobHostOptions) {
    this.#opts = opts;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The jobs this host may run in `own` scope (every one woken so far). */
  get ownJobs(): ReadonlySet<number> {
    return this.#own;
  }

  /** Unfinished jobs this host's runner will not run (another command's, or left by one), oldest first. */
  leftovers(): JobRecord[] {
    return this.#opts.store.jobs.notRunnable([...this.#own], this.#opts.scope !== 'own');
  }

  /** Starts the runner if it is not running, and tells it to look for work (`jobIds`: these jobs too). */
  wake(jobIds: readonly number[] = []): void {
    if (this.#stopping) return;
    const added = jobIds.filter((id) => !this.#own.has(id));
    for (const id of added) this.#own.add(id);
    const { store } = this.#opts;
    if (this.#opts.scope === 'own' && added.length > 0) store.write(() => store.jobs.markCommandJobs(added));
    if (!this.#child) this.#spawn();
    const secrets = this.#opts.secrets?.();
    this.#child?.send({ type: 'wake', jobIds: [...this.#own], ...(secrets ? { secrets } : {}) });
  }

  #restartOrGiveUp(code: number | null, pid: number | undefined, held: number[]): void {
    this.#restarts++;
    if (this.#restarts > MAX_RUNNER_RESTARTS) {
      this.#restarts = 0;
      const { store } = this.#opts;
      const reason = `the job process stopped ${MAX_RUNNER_RESTARTS + 1} times in a row (last exit code ${code}); not restarted`;
      const ids = this.#opts.scope === 'own' ? [...this.#own] : held;
      try {
        store.write(() => {
          for (const id of ids)
            if (store.jobs.transition(id, ['queued', 'running'], 'failed'))
              store.jobs.setState(id, 'failed', reason);
        });
      } catch (err) {
        logger().error({ err, pid }, 'job host: could not fail the jobs of a crashing runner');
      }
      logger().error({ code, pid, jobs: ids }, `job host: ${reason}`);
      return;
    }
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.#restarts, 7));
    logger().warn({ code, pid, delay }, `job runner exited with code ${code}; restarting in ${delay} ms`);
    setTimeout(() => this.wake(), delay).unref();
  }

  onProgress(fn: (p: ProgressReport) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #spawn(): void {
    const { entry = defaultRunnerEntry(), fork: forkRunner = nodeForkRunner } = this.#opts;
    // The database travels in the environment, not on the command line: a PostgreSQL URL may hold a password,
    // and any user of the machine can read a process's arguments (ps), not its environment. The job process
    // shares this process's event origin: its progress arrives here over IPC, not again through NOTIFY.
    const child = forkRunner(
      entry,
      [
        '--data-dir',
        this.#opts.dataDir,
        '--scope',
        this.#opts.scope ?? 'all',
        ...(this.#opts.dispatchOnly ? ['--dispatch-only'] : []),
      ],
      {
        ...process.env,
        FACEINSIGHT_DB: this.#opts.dbPath,
        [ORIGIN_ENV]: eventOrigin(),
        ...(this.#opts.warmAnalysis ? { [WARM_ANALYSIS_ENV]: this.#opts.warmAnalysis } : {}),
      },
    );
    this.#child = child;
    child.onMessage((m) => {
      if (!isRunnerMessage(m)) return;
      // A runner that finishes work is healthy again: only deaths in a row count towards giving up.
      if (m.type === 'idle' || (m.type === 'progress' && !['queued', 'running'].includes(m.progress.state)))
        this.#restarts = 0;
      if (m.type === 'progress') {
        this.#opts.onProgress(m.progress);
        for (const fn of this.#listeners) fn(m.progress);
      }
    });
    child.onExit((code) => {
      const pid = child.pid;
      if (this.#child === child) this.#child = null;
      // Its claimed item goes back to the pool now rather than when the lease runs out.
      let held: number[] = [];
      if (pid !== undefined) {
        try {
          held = this.#opts.store.jobs.jobsHeldBy(`runner-${pid}`);
          this.#opts.store.write(() => this.#opts.store.jobs.releaseWorker(`runner-${pid}`));
        } catch (err) {
          logger().error({ err, pid }, 'job host: could not release the dead runner’s items');
        }
      }
      if (this.#stopping || code === 0 || this.#opts.restart === false) return;
      this.#restartOrGiveUp(code, pid, held);
    });
  }

  /** Asks the runner to stop after its current item; kills it if it does not exit in time. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, timeoutMs);
      child.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      child.send({ type: 'shutdown' });
    });
    this.#child = null;
  }
}
