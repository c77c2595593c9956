// Development and tests only: starts a TypeScript worker entry (workerData.entry) through tsx. Node 20 does not apply
// the parent's `--import tsx` hooks to a worker's entry module, so the thread registers them itself.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
