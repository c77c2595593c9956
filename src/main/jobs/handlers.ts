// Every job kind the runner knows; later kinds (analyze, reevaluate-rules, export, train) register here.
import type { JobHandlers } from './types';
import { importKind } from './kinds/import';
import { reevaluateRulesKind } from './kinds/reevaluate-rules';
import { analyzeKind } from './kinds/analyze';
import { annotationsKind } from './kinds/annotations';
import { exportKind } from './kinds/export';
import { trainKind } from './kinds/train';
import { identitiesKind } from './kinds/identities';
import { mllmAuditKind } from './kinds/mllm-audit';

export const handlers: JobHandlers = {
  import: importKind,
  'reevaluate-rules': reevaluateRulesKind,
  analyze: analyzeKind,
  annotations: annotationsKind,
  export: exportKind,
  train: trainKind,
  identities: identitiesKind,
  'mllm-audit': mllmAuditKind,
};
