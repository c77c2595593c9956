// `faceinsight check`: a linter for a dataset's labels — violations grouped by rule; exit 1 on any `error` rule.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError, formatError } from '../../shared/errors';
import { RuleSet, type Violation } from '../../shared/rules';
import { ConstraintEngine, parseRulesFile, seedRules } from '../constraints/index';
import { dataPaths, resolveDataDir, resourcesDir } from '../paths';
import { openStore } from '../store/index';
import { parse, UsageError } from './common';

export const CHECK_HELP = `  faceinsight check [--db FILE] [--rules FILE] [--dataset ID] [--subject labels|predictions|cross|all] [--json]
      Evaluates the rules over every face; prints violations grouped by rule (with face and image).
      --rules uses that rules file instead of the database's rule set (nothing is saved).
      Exit 1 when any \`error\` rule is violated, 0 otherwise, 2 on bad input (e.g. a rules file that does not parse).`;

interface Row {
  rule: string;
  severity: string;
  subject: string;
  faceId: number;
  imageId: number;
  image: string;
  dataset: number;
  explanation: string;
  fixes: string[];
}

export async function checkCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    rules: { type: 'string' },
    dataset: { type: 'string' },
    subject: { type: 'string', default: 'labels' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`check: unexpected argument "${positionals[0]}"`);
  const subjects = values.subject === 'all' ? ['labels', 'predictions', 'cross'] : [values.subject];
  if (!subjects.every((s) => s === 'labels' || s === 'predictions' || s === 'cross')) {
    throw new AppError(
      'invalid_request',
      `--subject: expected labels, predictions, cross or all, got "${values.subject}"`,
    );
  }
  let set: RuleSet | null = null;
  if (values.rules) {
    const file = resolve(values.rules);
    let text: string;
    try {
      // readFileSync on a FIFO waits for a writer forever: only regular files are read.
      if (!statSync(file).isFile()) throw new Error('not a regular file');
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new AppError('io_error', `cannot read rules file ${file}: ${(err as Error).message}`, {
        where: { file },
      });
    }
    const { rules, rows, errors } = parseRulesFile(text, values.rules);
    if (errors.length > 0) {
      for (const e of errors) console.error(formatError(e.toJSON()));
      return 2;
    }
    set = new RuleSet(rules.filter((_r, i) => rows[i]?.enabled));
  }
  const paths = dataPaths(resolveDataDir(values['data-dir']), values.db);
  const store = openStore(paths.dbPath);
  try {
    seedRules(store, resourcesDir());
    const engine = new ConstraintEngine(store);
    const ruleSet = set ?? engine.ruleSet();
    const severity = new Map(ruleSet.rules.map((r) => [r.rule.id, r.rule.severity]));
    const datasets = store.datasets.list().filter((d) => !values.dataset || String(d.id) === values.dataset);
    if (values.dataset && datasets.length === 0) {
      throw new AppError('not_found', `dataset ${values.dataset} not found`, { where: { field: 'dataset' } });
    }
    const rows: Row[] = [];
    let faces = 0;
    for (const d of datasets) {
      for (const id of store.faces.idsOfDataset(d.id)) {
        faces++;
        const face = store.faces.summary(id);
        const found: Violation[] = ruleSet.evaluateFace(engine.facts(id), { maxFixes: 3 });
        for (const v of found) {
          if (!subjects.includes(v.subject)) continue;
          rows.push({
            rule: v.ruleId,
            severity: v.severity,
            subject: v.subject,
            faceId: id,
            imageId: face?.imageId ?? 0,
            image: face?.relPath ?? '',
            dataset: d.id,
            explanation: v.explanation,
            fixes: v.fixes.map((f) => f.changes.map((c) => `${c.key}=${String(c.to)}`).join(' ')),
          });
        }
      }
    }
    const errors = rows.filter((r) => r.severity === 'error').length;
    const summary = {
      faces,
      violations: rows.length,
      errors,
      warnings: rows.length - errors,
      rules: ruleSet.rules.length,
    };
    if (values.json) {
      for (const r of rows) console.log(JSON.stringify(r));
      console.log(JSON.stringify(summary));
    } else {
      const byRule = new Map<string, Row[]>();
      for (const r of rows) byRule.set(r.rule, [...(byRule.get(r.rule) ?? []), r]);
      for (const [rule, list] of byRule) {
        console.log(
          `${rule} (${severity.get(rule)}): ${list.length} violation${list.length === 1 ? '' : 's'}`,
        );
        for (const r of list) {
          const fix = r.fixes[0] ? `  fix: ${r.fixes[0]}` : '';
          console.log(`  face ${r.faceId} in ${r.image} [${r.subject}]: ${r.explanation}${fix}`);
        }
      }
      console.log(
        `${faces} faces checked against ${summary.rules} rules: ${errors} error and ${summary.warnings} warning violations`,
      );
    }
    return errors > 0 ? 1 : 0;
  } finally {
    store.close();
  }
}
