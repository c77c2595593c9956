// NOTIFY of an event for the other processes and machines on PostgreSQL (store/events.ts has the listener).
import type { Db as Database } from '../db-types';
import { encodeEvent, EVENT_CHANNEL } from '../events';

export function createEventsRepository(db: Database) {
  // SQLite: one machine, and the UI process already emits what its job process reports over IPC.
  if (db.dialect !== 'postgres') return { notify: (_event: string, _payload: unknown) => {} };
  const notify = db.prepare(`SELECT pg_notify(?, ?)`);
  return {
    /**
     * Sends an event to every other process LISTENing on the database: inside a write it is delivered at commit
     * (and dropped with a rollback), outside one at once. Payloads carry ids and counters (8000-byte limit).
     */
    notify(event: string, payload: unknown): void {
      notify.run(EVENT_CHANNEL, encodeEvent(event, payload));
    },
  };
}
