// `faceinsight audit`: the labels most likely wrong (held-out heads, rules, bundled models), in score order.
import { AppError } from '../../shared/errors';
import type { Job, KeyNoise, LabelIssue, Page } from '../../shared/api';
import { csvCell } from '../datasets/formats/text';
import { invoke, openHost, parse, pickDataset, waitForJob } from './common';

export const AUDIT_HELP = `  faceinsight audit [--db FILE] [--dataset ID] [--top N] [--retrain] [--json | --csv]
      Lists the labels most likely wrong, highest score first: file, face, key, label, suggested value,
      score and evidence (held-out probabilities from heads that never saw the label, violated rules,
      bundled models that disagree), then the estimated noise per key. Trains first when the dataset has no
      scores yet or human labels changed since the last training (--retrain: always). --top N: the first N
      (default 50). --json: one object {datasetId, jobId, suspects, total, noise}; --csv: one row a
      suspect. Exit 0 when it ran (whatever it found), 1 when training failed.`;

const p2 = (x: number) => x.toFixed(2);

/** "rule beard-male agrees; faceres says Female (0.91)" */
function evidenceText(i: LabelIssue): string {
  const parts = [
    ...i.evidence.rules.map((r) => `rule ${r.rule}${r.subject === 'cross' ? ' (parsing map)' : ''}`),
    ...i.evidence.models.map((m) => `${m.model} says ${m.value}${m.p === null ? '' : ` (${p2(m.p)})`}`),
  ];
  return parts.join('; ');
}

function printText(issues: LabelIssue[], total: number, noise: KeyNoise[]): void {
  console.log(`${total} doubted labels; the first ${issues.length} by score:`);
  for (const i of issues) {
    const ev = evidenceText(i);
    console.log(
      `${p2(i.score).padStart(5)}  ${i.relPath}  face ${i.faceId}  ${i.key}: label ${i.label}, held-out says ${i.suggested} at ${p2(i.pSuggested)} (threshold ${p2(i.threshold)})${i.suspect ? '' : ', below threshold'}${ev ? `; ${ev}` : ''}`,
    );
  }
  const noisy = noise.filter((k) => k.suspects > 0).sort((a, b) => b.share - a.share);
  if (noisy.length > 0) console.log('estimated wrong labels per key:');
  for (const k of noisy) {
    console.log(
      `  ${k.key}: about ${(k.share * 100).toFixed(1)} % of ${k.labels} labels (${Math.round(k.estimatedWrong)}), ${k.suspects} suspects`,
    );
  }
}

function printCsv(issues: LabelIssue[]): void {
  const cols = ['file', 'face', 'key', 'label', 'suggested', 'score', 'p_label', 'p_suggested', 'threshold'];
  console.log([...cols, 'suspect', 'evidence'].join(','));
  for (const i of issues) {
    const row = [i.relPath, i.faceId, i.key, i.label, i.suggested, p2(i.score), i.pLabel, i.pSuggested];
    console.log(
      [...row, i.threshold, i.suspect ? 1 : 0, evidenceText(i)].map((v) => csvCell(String(v))).join(','),
    );
  }
}

export async function auditCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    dataset: { type: 'string' },
    top: { type: 'string' },
    retrain: { type: 'boolean' },
    json: { type: 'boolean' },
    csv: { type: 'boolean' },
  });
  if (positionals.length > 0)
    throw new AppError('invalid_request', `audit: unexpected argument "${positionals[0]}"`);
  if (values.json && values.csv)
    throw new AppError('invalid_request', 'audit: --json and --csv exclude each other');
  const top = values.top === undefined ? 50 : Number(values.top);
  if (!Number.isInteger(top) || top < 1 || top > 100_000)
    throw new AppError(
      'invalid_request',
      `--top: expected a whole number from 1 to 100000, got ${values.top}`,
      {
        where: { field: 'top' },
      },
    );

  const host = await openHost(values);
  try {
    const ds = await pickDataset(host, values.dataset);
    const report = await invoke(host, 'learning.report', { datasetId: ds.id });
    let noise = await invoke(host, 'learning.noise', {
      datasetId: ds.id,
    });
    let job: Job | null = null;
    // Scores are per training run: train when there are none or human labels came since.
    if (values.retrain || !report.model || noise.keys.length === 0 || report.humanLabelsSinceTraining > 0) {
      job = await invoke(host, 'learning.train', { datasetId: ds.id });
      if (!values.json && !values.csv) console.error(`training (job ${job.id}) …`);
      job = await waitForJob(host, job.id);
      if (job.state !== 'done') {
        console.error(`training ${job.state}${job.error ? `: ${job.error}` : ''}`);
        return 1;
      }
      noise = await invoke(host, 'learning.noise', { datasetId: ds.id });
    }
    const suspects: LabelIssue[] = [];
    let total = 0;
    let cursor: number | null = 0;
    while (cursor !== null && suspects.length < top) {
      const page: Page<LabelIssue> = await invoke(host, 'learning.suspects', {
        datasetId: ds.id,
        suspects: true,
        cursor,
        limit: Math.min(1000, top - suspects.length),
      });
      suspects.push(...page.items);
      total = page.total;
      cursor = page.nextCursor;
    }
    if (values.json) {
      console.log(
        JSON.stringify({ datasetId: ds.id, jobId: job?.id ?? null, suspects, total, noise: noise.keys }),
      );
    } else if (values.csv) printCsv(suspects);
    else printText(suspects, total, noise.keys);
    return 0;
  } finally {
    await host.close();
  }
}
