// Every job kind the runner knows; later kinds (analyze, reevaluate-rules, export, train) register here.
import type { JobHandlers } from './types';
import { importKind } from './kinds/import';

export const handlers: JobHandlers = {
  import: importKind,
};
