// The rule set and its violations: rules.*, violations.*.
import type { AppErrorData } from '../errors';
import type { Page, Severity, ViolationSubject } from './common';
import type { Job } from './jobs';

export interface FixChange {
  key: string;
  from: string | number;
  to: string | number;
}

export interface ViolationEntry {
  id: number;
  faceId: number;
  imageId: number;
  relPath: string;
  ruleKey: string;
  severity: Severity;
  subject: ViolationSubject;
  explanation: string;
  rationale: string | null;
  values: { key: string; value: string | number; source: 'label' | 'prediction' | 'mask' }[];
  /** Minimal sets of label changes that satisfy the rule, cheapest first. */
  fixes: { changes: FixChange[]; cost: number }[];
}

export interface RuleEntry {
  key: string;
  severity: Severity;
  text: string;
  enabled: boolean;
}

export interface RulesState {
  /** The rule file: one rule per line, disabled ones as `#off <rule>`. */
  text: string;
  /** sha256 of the enabled rules' text (recorded in export provenance). */
  hash: string;
  rules: RuleEntry[];
}

export interface RuleCount {
  ruleKey: string;
  severity: Severity;
  subject: ViolationSubject;
  violations: number;
  faces: number;
}

export type RulesApi = {
  /** The rule set (the database is its source of truth). */
  'rules.get': { req: Record<string, never>; res: RulesState };
  /** Parses a rules file without saving: errors with line / column, and faces each rule would flag. */
  'rules.check': {
    req: { text: string; datasetId?: number };
    res: { errors: AppErrorData[]; rules: (RuleEntry & { flagged: number | null })[] };
  };
  /** Replaces the rule set (refused whole on any parse error) and re-evaluates every dataset as jobs. */
  'rules.set': { req: { text: string }; res: { rules: RulesState; jobs: Job[] } };
  /** A page of a dataset's violations, filtered. */
  'violations.list': {
    req: {
      datasetId: number;
      ruleKey?: string;
      severity?: Severity;
      subject?: ViolationSubject;
      cursor?: number;
      limit?: number;
    };
    res: Page<ViolationEntry>;
  };
  /** Violations and faces per rule and subject. */
  'violations.counts': { req: { datasetId: number }; res: { items: RuleCount[] } };
};
