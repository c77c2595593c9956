// Errors from the API, kept for the non-blocking banner until the user dismisses them.
import { AppError, type AppErrorData } from '@shared/errors';

export interface Notice {
  id: number;
  error: AppErrorData;
}

/** At most this many stay on screen; older ones give way. */
const MAX_SHOWN = 4;

export class Notices {
  items = $state.raw<Notice[]>([]);
  #next = 1;

  /** Shows any thrown value as an AppError; a repeat of a message already shown is not stacked. */
  report(err: unknown): void {
    const error = AppError.from(err);
    if (error.code === 'internal') console.error(err);
    const data = error.toJSON();
    if (this.items.some((n) => n.error.message === data.message)) return;
    this.items = [...this.items, { id: this.#next++, error: data }].slice(-MAX_SHOWN);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }

  /** Drops the newest notice; returns false when there was none (so Escape can mean something else). */
  dismissLatest(): boolean {
    if (this.items.length === 0) return false;
    this.items = this.items.slice(0, -1);
    return true;
  }
}
