// Events across processes and machines on PostgreSQL: NOTIFY on one channel (store.notify, inside the writer's
// transaction) and a dedicated LISTEN connection per UI process (listenEvents) that reconnects after a loss.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError } from '../../shared/errors';
import { redactDbTarget } from './target';

/** The one channel every FaceInsight process NOTIFYs and LISTENs on. */
export const EVENT_CHANNEL = 'faceinsight_events';
/**
 * PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; events carry ids and small counters (clients
 * refetch the rest), so a larger one is a programming error and is refused before it reaches the server.
 */
export const MAX_EVENT_BYTES = 7900;
/** The environment variable a job host hands its job process, so both tag their events as one origin. */
export const ORIGIN_ENV = 'FACEINSIGHT_EVENT_ORIGIN';

let origin: string | null = null;
/**
 * This process's origin tag: a UI process and the job process it forked share one (the job process inherits it
 * through ORIGIN_ENV), since the UI process already relays its job process's events over IPC.
 */
export function eventOrigin(): string {
  origin ??= process.env[ORIGIN_ENV] || randomUUID();
  return origin;
}

export interface WireEvent {
  /** Origin tag (eventOrigin() of the sender). */
  o: string;
  /** Event name, e.g. `jobs.progressed`. */
  e: string;
  /** Payload: ids and small counters. */
  p: unknown;
}

/** The NOTIFY payload of an event; throws when it would not fit PostgreSQL's limit. */
export function encodeEvent(event: string, payload: unknown, from = eventOrigin()): string {
  const text = JSON.stringify({ o: from, e: event, p: payload } satisfies WireEvent);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_EVENT_BYTES) {
    throw new AppError(
      'internal',
      `event ${event} is ${bytes} bytes, over the ${MAX_EVENT_BYTES}-byte NOTIFY limit: send ids, not rows`,
    );
  }
  return text;
}

/** A received payload, or null when it is not one of ours (someone else NOTIFYing the channel). */
export function decodeEvent(text: string | undefined): WireEvent | null {
  if (!text) return null;
  try {
    const w = JSON.parse(text) as Partial<WireEvent>;
    return typeof w.o === 'string' && typeof w.e === 'string' ? (w as WireEvent) : null;
  } catch {
    return null;
  }
}

export interface EventListenOptions {
  /** Events of this origin are dropped (this process emitted them itself); default eventOrigin(). */
  ignoreOrigin?: string | null;
  /** Back-off after a lost connection: first delay, doubled per failed try up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Called after a reconnect (events sent while disconnected are lost: a client may refetch). */
  onReconnect?: () => void;
  onError?: (err: Error) => void;
}

export interface EventSubscription {
  /** Resolves once the first LISTEN is in place (events sent after it are delivered). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * LISTENs on EVENT_CHANNEL over its own connection (the store's connection is synchronous and cannot wait for
 * notifications) and calls `onEvent` for every event from another origin. A lost connection is retried with
 * back-off until close().
 */
export function listenEvents(
  url: string,
  onEvent: (event: string, payload: unknown) => void,
  opts: EventListenOptions = {},
): EventSubscription {
  const ignore = opts.ignoreOrigin === undefined ? eventOrigin() : opts.ignoreOrigin;
  const minDelay = opts.minDelayMs ?? 250;
  const maxDelay = opts.maxDelayMs ?? 10_000;
  let closed = false;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;
  let connectedOnce = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => (markReady = r));

  const schedule = () => {
    if (closed || timer) return;
    const delay = Math.min(maxDelay, minDelay * 2 ** Math.min(failures, 10));
    failures++;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, delay);
    timer.unref();
  };

  const connect = async () => {
    // Loaded here, not at startup: a SQLite app never needs the driver (about 60 ms of every process's start).
    const { default: Pg } = await import('pg');
    if (closed) return;
    const c = new Pg.Client({
      connectionString: url,
      keepAlive: true,
      application_name: 'faceinsight-events',
    });
    client = c;
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (client === c) client = null;
      if (closed) return;
      if (err) opts.onError?.(err);
      c.end().catch(() => {
        // Already broken: nothing to close cleanly.
      });
      schedule();
    };
    c.on('error', onLost);
    c.on('end', () => onLost());
    c.on('notification', (n) => {
      if (n.channel !== EVENT_CHANNEL) return;
      const w = decodeEvent(n.payload);
      if (!w || w.o === ignore) return;
      try {
        onEvent(w.e, w.p);
      } catch (err) {
        opts.onError?.(err as Error);
      }
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${EVENT_CHANNEL}`);
    } catch (err) {
      const e = new AppError(
        'io_error',
        `event listener: cannot listen on ${redactDbTarget(url)}: ${(err as Error).message}`,
      );
      onLost(e);
      return;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    failures = 0;
    if (connectedOnce) opts.onReconnect?.();
    connectedOnce = true;
    markReady();
  };

  void connect();
  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const c = client;
      client = null;
      markReady();
      await c?.end().catch(() => {
        // Lost already: nothing to close.
      });
    },
  };
}
