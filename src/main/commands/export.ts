// `faceinsight export`: a dataset's corrected labels in its own format (plus provenance.json), as a job.
import { resolve } from 'node:path';
import { EXPORT_FORMATS } from '../../shared/api';
import { openHost, parse, UsageError } from './common';
import { resumeLeftoverJobs } from './jobs';
import { runReportedJob } from './reported-job';

export const EXPORT_HELP = `  faceinsight export --format FORMAT|coco|masks|instructions --out DIR [--dataset ID|FOLDER] [--seed N]
                     [--reviewed-only] [--include-predictions [--prediction-source models|mllm:MODEL]]
                     [--overwrite] [--db FILE] [--json] [--resume]
      Writes the corrected labels (human > imported; predictions only with --include-predictions) in the
      format's own files plus provenance.json; never replaces an existing file without --overwrite.
      --prediction-source mllm:MODEL takes the predicted values from a vision LLM's audit answers.`;

export async function exportCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    json: { type: 'boolean' },
    format: { type: 'string' },
    out: { type: 'string' },
    dataset: { type: 'string' },
    'reviewed-only': { type: 'boolean' },
    'include-predictions': { type: 'boolean' },
    'prediction-source': { type: 'string' },
    overwrite: { type: 'boolean' },
    seed: { type: 'string' },
    resume: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`export: unexpected argument "${positionals[0]}"`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1))
    throw new UsageError(`export: --seed: not an integer from 0 to 4294967295: ${values.seed}`);
  const format = values.format;
  if (!format || !(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`export: --format must be one of ${EXPORT_FORMATS.join(', ')}`);
  if (!values.out) throw new UsageError('export: --out <folder> is required');
  const host = await openHost(values);
  try {
    if (values.resume) resumeLeftoverJobs(host);
    const list = await host.call('datasets.list', {});
    const datasets = list.ok ? (list.value as { items: { id: number; root: string }[] }).items : [];
    const pick = values.dataset;
    const ds =
      pick === undefined
        ? datasets.length === 1
          ? datasets[0]
          : undefined
        : datasets.find((d) => String(d.id) === pick || d.root === resolve(pick));
    if (!ds) {
      throw new UsageError(
        pick === undefined
          ? `export: the database has ${datasets.length} datasets; name one with --dataset <id or folder>`
          : `export: no dataset ${pick}`,
      );
    }
    const req = {
      datasetId: ds.id,
      format,
      out: resolve(values.out),
      reviewedOnly: values['reviewed-only'] ?? false,
      includePredictions: values['include-predictions'] ?? false,
      ...(values['prediction-source'] !== undefined ? { predictionSource: values['prediction-source'] } : {}),
      overwrite: values.overwrite ?? false,
      ...(seed !== undefined ? { seed } : {}),
    };
    return await runReportedJob(host, 'exports.start', req, values.json, !values.resume);
  } finally {
    await host.close();
  }
}
