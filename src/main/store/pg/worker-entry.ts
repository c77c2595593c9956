// The PostgreSQL connection's thread: one node-postgres client, driven by SyncWorker (sync-bridge.ts). Replies are
// posted on the port, then the shared counter is bumped and notified so the blocked caller wakes up.
import { workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';
import { EXITED, SIGNAL, type Reply, type WorkerFailure } from './sync-bridge';

const { port, state } = workerData as { port: MessagePort; state: Int32Array };

// Values as SQLite gives them: int8 (ids, ms times, count(*)) and numeric (sum) as numbers, booleans from
// expressions as 1 / 0, JSON as its text (the repositories JSON.parse what they read); bytea is a Buffer already.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.BOOL, (v) => (v === 't' ? 1 : 0));
pg.types.setTypeParser(pg.types.builtins.JSON, (v) => v);
pg.types.setTypeParser(pg.types.builtins.JSONB, (v) => v);

function signal(): void {
  Atomics.add(state, SIGNAL, 1);
  Atomics.notify(state, SIGNAL);
}
function reply(m: Reply): void {
  port.postMessage(m);
  signal();
}
process.on('exit', () => {
  Atomics.store(state, EXITED, 1);
  signal();
});

let client: pg.Client | null = null;
/** Set when the server or the network dropped the connection: every later request fails with it. */
let lost: string | null = null;
let current = 0;

interface ConnectRequest {
  op: 'connect';
  url: string;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}
interface QueryRequest {
  op: 'query';
  text: string;
  values?: unknown[];
  /** A server-side prepared statement's name (parsed once per connection). */
  name?: string;
  /** Several statements without parameters (simple protocol). */
  script?: boolean;
}
type Request = ({ op: 'close' } | ConnectRequest | QueryRequest) & { id: number };

function failure(err: unknown, stage: WorkerFailure['stage']): WorkerFailure {
  const e = err as Error & { code?: string; detail?: string; hint?: string; position?: string };
  return {
    message: e.message || String(err),
    stage,
    ...(e.code ? { code: e.code } : {}),
    ...(e.detail ? { detail: e.detail } : {}),
    ...(e.hint ? { hint: e.hint } : {}),
    ...(e.position ? { position: e.position } : {}),
  };
}

async function handle(req: Request): Promise<unknown> {
  if (req.op === 'connect') {
    const c = new pg.Client({
      connectionString: req.url,
      connectionTimeoutMillis: req.connectTimeoutMs,
      statement_timeout: req.statementTimeoutMs,
      application_name: 'faceinsight',
    });
    c.on('error', (err) => (lost = `connection to PostgreSQL lost: ${err.message}`));
    await c.connect();
    client = c;
    await c.query(`SET TIME ZONE 'UTC'`);
    const r = await c.query<{ v: string }>('SHOW server_version');
    return { serverVersion: r.rows[0]?.v };
  }
  if (req.op === 'close') {
    const c = client;
    client = null;
    await c?.end();
    return null;
  }
  if (lost) throw Object.assign(new Error(lost), { code: 'connection_lost' });
  if (!client) throw Object.assign(new Error('not connected'), { code: 'not_connected' });
  if (req.script) {
    await client.query(req.text);
    return { fields: [], rows: [], rowCount: 0 };
  }
  const r = await client.query({
    text: req.text,
    values: req.values ?? [],
    rowMode: 'array',
    ...(req.name ? { name: req.name } : {}),
  });
  return { fields: r.fields.map((f) => f.name), rows: r.rows as unknown[][], rowCount: r.rowCount ?? 0 };
}

// An exception nothing caught still answers the request in flight before the thread ends.
process.on('uncaughtException', (err) => {
  reply({ id: current, ok: false, error: failure(err, 'bridge') });
  process.exit(1);
});

port.on('message', (req: Request) => {
  current = req.id;
  handle(req).then(
    (value) => {
      reply({ id: req.id, ok: true, value });
      if (req.op === 'close') port.close();
    },
    (err: unknown) =>
      reply({ id: req.id, ok: false, error: failure(err, req.op === 'connect' ? 'connect' : 'query') }),
  );
});
