// `faceinsight learn`: train the learned heads and print their cross-validated report, or the identity report.
import { AppError } from '../../shared/errors';
import type { IdentityReport, Job, LearningReport } from '../../shared/api';
import { invoke, openHost, parse, pickDataset, waitForJob } from './common';

export const LEARN_HELP = `  faceinsight learn [--db FILE] [--dataset ID] [--lambda X] [--embedding faceres|mobilefacenet]
                    [--folds K] [--epochs N] [--report] [--identities] [--json]
      Trains attribute heads on the labelled faces' embeddings (loss: class-weighted BCE + λ · rule
      constraint loss), cross-validates them, and predicts every face without a human label. --report prints
      the stored report without training; --identities prints same-identity clusters, duplicate images and
      identities found in more than one split. Exit 1 when training fails (e.g. too few labels).`;

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—');

function printReport(r: LearningReport): void {
  if (!r.model) {
    console.log(`dataset ${r.datasetId}: no learned model yet`);
    return;
  }
  const m = r.model;
  console.log(
    `dataset ${r.datasetId}: model ${m.runId} on ${m.embeddingModel}, λ = ${m.lambda}, ${m.faces} labelled faces, ${m.keys.length} heads (${m.seconds.toFixed(1)} s)`,
  );
  const ev = r.evaluation;
  if (ev) {
    console.log(`${ev.folds}-fold cross-validation over ${ev.faces} faces:`);
    // The majority answer's accuracy, and its balanced accuracy (0.5: the bar bal.acc must clear).
    console.log('  attribute              n   acc    bal.acc  F1     majority (bal.)');
    for (const a of ev.attributes) {
      console.log(
        `  ${a.key.padEnd(20)} ${String(a.n).padStart(4)}  ${pct(a.accuracy).padStart(6)} ${pct(a.balancedAccuracy).padStart(7)}  ${pct(a.f1).padStart(6)} ${pct(a.majorityBaseline).padStart(7)} (${pct(a.majorityBalancedAccuracy ?? 0.5)})`,
      );
    }
    console.log(`  mean balanced accuracy ${pct(ev.meanBalancedAccuracy)}`);
    console.log(
      `  error-rule violations of held-out predictions: ${pct(ev.violationRate.withConstraint)} with λ, ${pct(ev.violationRate.withoutConstraint)} with λ = 0${ev.violationRate.decoded === undefined ? '' : `, ${pct(ev.violationRate.decoded)} as stored (decoded)`}`,
    );
  }
  console.log(`constraints from rules: ${r.rules.used.join(', ') || 'none'}`);
  for (const s of r.rules.skipped) console.log(`  skipped ${s.ruleId}: ${s.reason}`);
}

function printIdentities(r: IdentityReport): void {
  console.log(
    `${r.faces} faces; ${r.clusters.length} identities with more than one face (cosine > ${r.threshold})`,
  );
  for (const c of r.clusters)
    console.log(`  identity ${c.id}: ${c.faces.map((f) => `face ${f.faceId} in ${f.relPath}`).join(', ')}`);
  for (const g of r.sameBytes)
    console.log(`  same bytes (${g.sha256.slice(0, 12)}): ${g.images.map((i) => i.relPath).join(', ')}`);
  for (const p of r.nearDuplicates)
    console.log(`  near-duplicate (${p.cosine.toFixed(3)}): ${p.a.relPath} / ${p.b.relPath}`);
  for (const l of r.leakage)
    console.log(
      `  LEAK identity ${l.clusterId} is in splits ${l.splits.join(' and ')}: ${l.faces.map((f) => f.relPath).join(', ')}`,
    );
  if (r.leakage.length === 0) console.log('no identity appears in more than one split');
}

export async function learnCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    dataset: { type: 'string' },
    lambda: { type: 'string' },
    embedding: { type: 'string' },
    folds: { type: 'string' },
    epochs: { type: 'string' },
    report: { type: 'boolean' },
    identities: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0)
    throw new AppError('invalid_request', `learn: unexpected argument "${positionals[0]}"`);
  const number = (name: string, raw: string | undefined, ok: (x: number) => boolean) => {
    if (raw === undefined) return undefined;
    const x = Number(raw);
    if (!ok(x))
      throw new AppError('invalid_request', `--${name}: not a valid value: ${raw}`, {
        where: { field: name },
      });
    return x;
  };
  const lambda = number('lambda', values.lambda, (x) => Number.isFinite(x) && x >= 0 && x <= 100);
  const folds = number('folds', values.folds, (x) => Number.isInteger(x) && x >= 2 && x <= 20);
  const epochs = number('epochs', values.epochs, (x) => Number.isInteger(x) && x >= 1 && x <= 500);
  const embedding = values.embedding;
  if (embedding !== undefined && embedding !== 'faceres' && embedding !== 'mobilefacenet')
    throw new AppError(
      'invalid_request',
      `--embedding: expected faceres or mobilefacenet, got "${embedding}"`,
    );

  const host = await openHost(values);
  try {
    const ds = await pickDataset(host, values.dataset);
    if (values.identities) {
      // The report is computed by an `identities` job; wait for it when the stored one is not fresh.
      let r = await invoke(host, 'learning.identities', { datasetId: ds.id });
      while (r.job) {
        const j = await waitForJob(host, r.job.id);
        if (j.state !== 'done') throw new AppError('internal', `identities job ${j.state}: ${j.error ?? ''}`);
        r = await invoke(host, 'learning.identities', { datasetId: ds.id });
        if (r.state !== 'fresh') r = { ...r, job: null };
      }
      if (!r.report) throw new AppError('internal', 'no identity report was stored');
      if (values.json) console.log(JSON.stringify(r.report));
      else printIdentities(r.report);
      return 0;
    }
    let job: Job | null = null;
    if (!values.report) {
      job = await invoke(host, 'learning.train', {
        datasetId: ds.id,
        ...(lambda !== undefined ? { lambda } : {}),
        ...(folds !== undefined ? { folds } : {}),
        ...(epochs !== undefined ? { epochs } : {}),
        ...(embedding ? { embeddingModel: embedding } : {}),
      });
      job = await waitForJob(host, job.id);
      if (job.state !== 'done') {
        if (values.json) console.log(JSON.stringify({ jobId: job.id, state: job.state, error: job.error }));
        else console.error(`training ${job.state}${job.error ? `: ${job.error}` : ''}`);
        return 1;
      }
    }
    const report = await invoke(host, 'learning.report', { datasetId: ds.id });
    if (values.json) console.log(JSON.stringify({ jobId: job?.id ?? null, ...report }));
    else printReport(report);
    return 0;
  } finally {
    await host.close();
  }
}
