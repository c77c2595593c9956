// Calls into a worker thread synchronously: the calling thread posts a request on a MessagePort, then blocks in
// Atomics.wait on a SharedArrayBuffer counter that the worker bumps after posting its reply, and takes the reply
// with receiveMessageOnPort (no event loop turn needed). This is how the store stays synchronous on PostgreSQL:
// node-postgres runs asynchronously on the worker's own event loop. The same pattern as the `synckit` package,
// written out here because the worker entry must be found the way the model thread's is (built file or tsx).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { projectRoot } from '../../paths';

/** Slots of the shared Int32Array: a counter the worker bumps per reply, and 1 once the worker has exited. */
export const SIGNAL = 0;
export const EXITED = 1;

export interface WorkerFailure {
  message: string;
  /** PostgreSQL's SQLSTATE, node's error code (ECONNREFUSED) or the bridge's own (`timeout`, `exited`). */
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
  /** Where it failed: opening the connection, running a statement, or the bridge / worker itself. */
  stage: 'connect' | 'query' | 'bridge';
}

export type Reply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WorkerFailure };

export class BridgeFailure extends Error {
  constructor(readonly failure: WorkerFailure) {
    super(failure.message);
  }
}

/** The worker's script: built next to out/main, else the TypeScript source started through tsx. */
function entry(): { file: string; data: Record<string, string> } {
  const root = projectRoot();
  const built = join(root, 'out', 'main', 'pg-worker.js');
  if (!import.meta.url.endsWith('.ts') && existsSync(built)) return { file: built, data: {} };
  return {
    file: join(root, 'src', 'main', 'analysis', 'ts-worker-boot.mjs'),
    data: { entry: pathToFileURL(join(root, 'src', 'main', 'store', 'pg', 'worker-entry.ts')).href },
  };
}

export class SyncWorker {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #state = new Int32Array(new SharedArrayBuffer(8));
  #seq = 0;
  #gone: string | null = null;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    const { file, data } = entry();
    this.#port = port1;
    this.#worker = new Worker(file, {
      workerData: { ...data, port: port2, state: this.#state },
      transferList: [port2],
      execArgv: [],
    });
    // Noticed on the next call (the calling thread may be blocked when it happens).
    this.#worker.on('error', (err) => (this.#gone ??= `database worker failed: ${err.message}`));
    this.#worker.on('exit', (code) => (this.#gone ??= `database worker exited (code ${code})`));
    this.#worker.unref();
    this.#port.unref();
  }

  /**
   * Sends one request and blocks until its reply. `timeoutMs`: how long to wait before giving up on the worker
   * (it is then stopped: a later call fails at once).
   */
  call(req: Record<string, unknown>, timeoutMs: number): unknown {
    if (this.#gone) throw new BridgeFailure({ message: this.#gone, code: 'exited', stage: 'bridge' });
    const id = ++this.#seq;
    this.#port.postMessage({ ...req, id });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.#state, SIGNAL);
      const got = receiveMessageOnPort(this.#port);
      if (got) {
        const reply = got.message as Reply;
        if (reply.id !== id) continue; // a late reply to a request that timed out
        if (reply.ok) return reply.value;
        throw new BridgeFailure(reply.error);
      }
      if (Atomics.load(this.#state, EXITED) === 1) {
        this.#gone ??= 'database worker exited';
        throw new BridgeFailure({ message: this.#gone, code: 'exited', stage: 'bridge' });
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.#gone = `database worker did not answer within ${timeoutMs} ms`;
        void this.#worker.terminate();
        throw new BridgeFailure({ message: this.#gone, code: 'timeout', stage: 'bridge' });
      }
      // Slices: a worker that dies without signalling (killed thread) is still noticed through EXITED / #gone.
      Atomics.wait(this.#state, SIGNAL, seen, Math.min(left, 250));
    }
  }

  get closed(): boolean {
    return this.#gone !== null;
  }

  terminate(): void {
    this.#gone ??= 'database connection closed';
    this.#port.close();
    void this.#worker.terminate();
  }
}
