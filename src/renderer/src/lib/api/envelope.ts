// Unwraps the `{ ok, value | error }` envelope both transports answer with, rethrowing errors as AppError.
import { AppError, isAppErrorData, type Envelope } from '@shared/errors';

export function unwrap<T>(method: string, envelope: unknown): T {
  if (typeof envelope === 'object' && envelope !== null && 'ok' in envelope) {
    const e = envelope as Envelope<T>;
    if (e.ok) return e.value;
    if (isAppErrorData(e.error)) throw AppError.fromData(e.error);
  }
  throw new AppError('internal', `${method}: the server answered without a result envelope`);
}
