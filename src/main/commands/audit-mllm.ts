// `faceinsight audit-mllm`: asks a vision LLM about the verified faces and reports how right and how consistent
// its answers are (issue #31); also saves the endpoints it asks (the key from an environment variable).
import { AppError } from '../../shared/errors';
import { MLLM_TASKS, type MllmEndpoint, type MllmReport, type MllmTask } from '../../shared/api';
import { invoke, openHost, parse, pickDataset, waitForJob } from './common';

export const AUDIT_MLLM_HELP = `  faceinsight audit-mllm [--db FILE] [--dataset ID] [--endpoint NAME] [--tasks LIST] [--all]
                         [--retries N] [--report] [--json]
      Asks the saved endpoint's vision LLM (one OpenAI-compatible chat-completions server) the question bank
      about each reviewed face (--all: every face), then prints per model and key: accuracy, balanced accuracy,
      F1 against the verified labels, unparsed rate, latency p50 / p95, and the share of faces whose answers
      break an error rule. Answers already asked are read from the cache. --tasks: comma-separated from
      ${MLLM_TASKS.join(', ')} (default all). --report: print the stored report without
      asking. --json: one object {datasetId, jobId, report}. Exit 0 when it ran, 1 when the audit job failed
      or was cancelled.
  faceinsight audit-mllm --save-endpoint NAME --url URL --model MODEL [--key-env VAR] [--timeout MS]
                         [--concurrency N] [--rpm N] [--image-size PX] [--structured] [--whole-image]
      Saves an endpoint (e.g. --url http://127.0.0.1:11434/v1 for Ollama, http://127.0.0.1:8080/v1 for
      llama.cpp's server). The API key is read from the environment variable VAR (never from the command line)
      and stored outside the database; defaults: timeout 60000, concurrency 2, rpm 0 (no limit), image size 448.
      --structured asks for JSON answers (response_format json_schema); --whole-image also sends the photo with
      the face boxed in red.`;

const pct = (x: number | null) => (x === null ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`);

function printReport(r: MllmReport): void {
  console.log(`${r.verifiedFaces} reviewed faces; ${r.models.length} model(s) answered`);
  for (const m of r.models) {
    const ms = (x: number | null) => (x === null ? '-' : `${Math.round(x)} ms`);
    console.log(
      `\n${m.source}: ${m.faces} faces, ${m.answers} answers, latency p50 ${ms(m.latencyMs.p50)}, p95 ${ms(m.latencyMs.p95)}`,
    );
    const c = m.consistency;
    console.log(
      `  inconsistent: ${c.violating} of ${c.faces} faces (${pct(c.rate).trim()}) break an error rule${
        c.rules.length > 0
          ? `; most: ${c.rules
              .slice(0, 5)
              .map((x) => `${x.ruleId} (${x.faces})`)
              .join(', ')}`
          : ''
      }`,
    );
    console.log('  key                      n   accuracy  bal.acc      F1  unparsed  errors');
    for (const k of m.keys.filter((x) => x.n > 0)) {
      console.log(
        `  ${k.key.padEnd(20)} ${String(k.n).padStart(5)}  ${pct(k.accuracy)}  ${pct(k.balancedAccuracy)}  ${pct(k.f1)}  ${pct(k.unparsedRate)}  ${String(k.errors).padStart(6)}`,
      );
    }
  }
}

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new AppError(
      'invalid_request',
      `--${name}: expected a whole number from ${min} to ${max}, got ${raw}`,
      {
        where: { field: name },
      },
    );
  return n;
}

export async function auditMllmCmd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    dataset: { type: 'string' },
    endpoint: { type: 'string' },
    tasks: { type: 'string' },
    all: { type: 'boolean' },
    retries: { type: 'string' },
    report: { type: 'boolean' },
    json: { type: 'boolean' },
    'save-endpoint': { type: 'string' },
    url: { type: 'string' },
    model: { type: 'string' },
    'key-env': { type: 'string' },
    timeout: { type: 'string' },
    concurrency: { type: 'string' },
    rpm: { type: 'string' },
    'image-size': { type: 'string' },
    structured: { type: 'boolean' },
    'whole-image': { type: 'boolean' },
  });
  if (positionals.length > 0)
    throw new AppError('invalid_request', `audit-mllm: unexpected argument "${positionals[0]}"`);
  const tasks = values.tasks?.split(',').map((t) => t.trim());
  const unknown = tasks?.find((t) => !(MLLM_TASKS as readonly string[]).includes(t));
  if (unknown !== undefined)
    throw new AppError(
      'invalid_request',
      `--tasks: unknown task "${unknown}" (expected ${MLLM_TASKS.join(', ')})`,
      {
        where: { field: 'tasks' },
      },
    );
  const host = await openHost(values);
  try {
    if (values['save-endpoint'] !== undefined) {
      if (!values.url || !values.model)
        throw new AppError('invalid_request', '--save-endpoint needs --url and --model', {
          where: { field: 'url' },
        });
      const envName = values['key-env'];
      const key = envName ? process.env[envName] : undefined;
      if (envName && !key)
        throw new AppError('invalid_request', `--key-env: the environment variable ${envName} is not set`, {
          where: { field: 'key-env' },
        });
      const endpoint: MllmEndpoint = {
        id: values['save-endpoint'],
        baseUrl: values.url,
        model: values.model,
        timeoutMs: int('timeout', values.timeout, 60_000, 100, 600_000),
        concurrency: int('concurrency', values.concurrency, 2, 1, 16),
        rpm: int('rpm', values.rpm, 0, 0, 100_000),
        imageSize: int('image-size', values['image-size'], 448, 32, 2048),
        structured: values.structured === true,
        ...(values['whole-image'] ? { wholeImage: true } : {}),
      };
      const saved = await invoke(host, 'mllm.saveEndpoint', { endpoint, ...(key ? { apiKey: key } : {}) });
      const e = saved.items.find((x) => x.id === endpoint.id)!;
      console.error(`saved endpoint ${e.id}: ${e.model} at ${e.baseUrl}${e.hasKey ? ' (with a key)' : ''}`);
      return 0;
    }
    const ds = await pickDataset(host, values.dataset);
    let jobId: number | null = null;
    let code = 0;
    if (!values.report) {
      const { items } = await invoke(host, 'mllm.endpoints', {});
      const id = values.endpoint ?? (items.length === 1 ? items[0]!.id : undefined);
      if (id === undefined)
        throw new AppError(
          'invalid_request',
          items.length === 0
            ? 'no endpoint saved; add one with --save-endpoint NAME --url URL --model MODEL'
            : `${items.length} endpoints saved (${items.map((e) => e.id).join(', ')}); name one with --endpoint`,
          { where: { field: 'endpoint' } },
        );
      const started = await invoke(host, 'mllm.audit', {
        datasetId: ds.id,
        endpointId: id,
        ...(tasks ? { tasks: tasks as MllmTask[] } : {}),
        scope: values.all ? 'all' : 'reviewed',
        ...(values.retries !== undefined ? { retries: int('retries', values.retries, 3, 0, 10) } : {}),
      });
      jobId = started.id;
      if (!values.json) console.error(`asking ${id} (job ${jobId}) …`);
      const job = await waitForJob(host, jobId);
      if (job.failed > 0)
        console.error(`${job.failed} faces had questions that failed (see jobs failures ${jobId})`);
      if (job.state !== 'done') {
        console.error(`audit ${job.state}${job.error ? `: ${job.error}` : ''}`);
        code = 1;
      }
    }
    const report = await invoke(host, 'mllm.report', { datasetId: ds.id });
    if (values.json) console.log(JSON.stringify({ datasetId: ds.id, jobId, report }));
    else printReport(report);
    return code;
  } finally {
    await host.close();
  }
}
