// rules.* and violations.*, faces.get and labels.set: the rule set (the database is its source of truth), the
// stored violations, and one face's detail with the label edit that re-checks it.
import type { RulesState } from '../../shared/api';
import { RuleSet } from '../../shared/rules';
import { parseRulesFile, rowsFromRulesFile, rulesFileText, rulesHash } from '../constraints/index';
import { datasetCooccurrence } from '../constraints/stats';
import { faceDetail, setLabel, toViolationEntry } from '../constraints/faces';
import { assertNotHeld } from '../review/team';
import { toJob } from '../store/index';
import type { Handlers, ServiceContext } from './context';

type RuleMethods =
  | 'faces.get'
  | 'labels.set'
  | 'rules.get'
  | 'rules.check'
  | 'rules.set'
  | 'violations.list'
  | 'violations.counts'
  | 'stats.cooccurrence';

export function ruleHandlers(ctx: ServiceContext): Pick<Handlers, RuleMethods> {
  const { store, deps, engine, getDataset, getJob } = ctx;
  const rulesState = (): RulesState => {
    const rows = store.rules.list();
    return {
      text: rulesFileText(rows),
      hash: rulesHash(rows),
      rules: rows.map(({ key, severity, text, enabled }) => ({ key, severity, text, enabled })),
    };
  };
  return {
    'faces.get': ({ id }) => faceDetail(store, id),
    'labels.set': ({ faceId, key, value, seenEventId }) => {
      const actor = ctx.actor();
      // Team mode: another reviewer's live claim refuses the edit (the check and the edit in one transaction).
      const stale = store.write(() => {
        if (store.faces.get(faceId)) assertNotHeld(store, ctx.caller(), [faceId]);
        return setLabel(store, engine, { faceId, key, value, actor, seenEventId });
      });
      ctx.facesChanged([faceId], 'labels', actor);
      return { ...faceDetail(store, faceId), stale };
    },
    'rules.get': () => rulesState(),
    'rules.check': ({ text, datasetId }) => {
      const { rows, rules, errors } = parseRulesFile(text);
      const enabled = rules.filter((_r, i) => rows[i]?.enabled);
      const counts =
        datasetId === undefined ? null : engine.flagged(new RuleSet(enabled), getDataset(datasetId).id);
      return {
        errors: errors.map((e) => e.toJSON()),
        rules: rows.map((r) => ({ ...r, flagged: counts && r.enabled ? (counts.get(r.key) ?? 0) : null })),
      };
    },
    'rules.set': ({ text }) => {
      const rows = rowsFromRulesFile(text);
      const jobIds = store.write(() => {
        store.rules.replaceAll(rows);
        return store.datasets.list().map((d) => store.jobs.create('reevaluate-rules', d.id, {}));
      });
      if (jobIds.length > 0) deps.wakeJobs(jobIds);
      return { rules: rulesState(), jobs: jobIds.map((id) => toJob(getJob(id))) };
    },
    'violations.list': (q) => {
      getDataset(q.datasetId);
      const page = store.rules.violations(q);
      return { ...page, items: page.items.map(toViolationEntry) };
    },
    'violations.counts': ({ datasetId }) => {
      getDataset(datasetId);
      return { items: store.rules.countsPerRule(datasetId) };
    },
    'stats.cooccurrence': ({ datasetId, source }) => {
      getDataset(datasetId);
      return datasetCooccurrence(store, datasetId, source);
    },
  };
}
