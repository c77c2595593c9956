// Plain-Node inference bench (built to out/bench/infer.js): per model and batch size, ms per batch and faces/s on
// each provider, GPU:CPU speed ratio, max abs difference vs CPU and whether decisions agree. Needs only
// onnxruntime-node at run time; its inputs come from `npm run bench -- infer --prepare <dir>`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { InferenceSession } from 'onnxruntime-node';
import { ANCHORS, DEFAULT_DETECT, nonMaxSuppression } from '../../../src/main/analysis/detect';
import { BENCH_FORMAT, type BenchManifest, type BenchModel } from './format';

// Loaded with require: onnxruntime-node is CommonJS and its named exports are not visible to an ESM import.
type Ort = typeof import('onnxruntime-node');
const ort = createRequire(import.meta.url)('onnxruntime-node') as Ort;

const USAGE = `usage: node infer.js --inputs <dir> [--ep webgpu,cpu] [--batches 1,8,32,128] [--runs 3] [--models a,b] [--threads N]
  <dir> is what \`npm run bench -- infer --prepare <dir>\` wrote (manifest.json, models/, crops/).`;

interface Args {
  inputs: string;
  eps: string[];
  batches: number[];
  runs: number;
  models: string[] | null;
  /** ORT intra-op threads for CPU sessions; undefined: ORT's default (one per core). */
  threads: number | undefined;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      inputs: { type: 'string' },
      ep: { type: 'string', default: 'webgpu,cpu' },
      batches: { type: 'string', default: '1,8,32,128' },
      runs: { type: 'string', default: '3' },
      models: { type: 'string' },
      threads: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || !values.inputs) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const list = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const batches = list(values.batches).map(Number);
  const runs = Number(values.runs);
  if (batches.some((b) => !Number.isInteger(b) || b < 1) || !Number.isInteger(runs) || runs < 1) {
    console.error(`--batches and --runs take positive integers\n${USAGE}`);
    process.exit(2);
  }
  const eps = list(values.ep);
  const unknown = eps.filter((e) => !['cpu', 'webgpu', 'cuda', 'dml', 'coreml'].includes(e));
  if (eps.length === 0 || unknown.length) {
    console.error(
      `--ep: unknown provider ${unknown.join(', ') || '(none)'}; use cpu, webgpu, cuda, dml, coreml`,
    );
    process.exit(2);
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    console.error(`--threads takes a positive integer\n${USAGE}`);
    process.exit(2);
  }
  return {
    inputs: values.inputs,
    eps,
    batches,
    runs,
    models: values.models ? list(values.models) : null,
    threads,
  };
}

function readManifest(dir: string): BenchManifest {
  let json: BenchManifest;
  try {
    json = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BenchManifest;
  } catch (err) {
    console.error(`cannot read ${join(dir, 'manifest.json')}: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (json.format !== BENCH_FORMAT) {
    console.error(`${join(dir, 'manifest.json')}: format ${json.format}, this bench reads ${BENCH_FORMAT}`);
    process.exit(2);
  }
  return json;
}

/** A float batch of `batch` items, cycling through the model's crops and undoing their uint8 quantisation. */
function buildBatch(m: BenchModel, crops: Uint8Array, batch: number): Float32Array {
  const per = m.input.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(per * batch);
  const { scale, offset } = m.normalisation;
  for (let b = 0; b < batch; b++) {
    const src = (b % m.items) * per;
    for (let k = 0; k < per; k++) out[b * per + k] = crops[src + k]! * scale + offset;
  }
  return out;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** blazeface: anchors scored and decoded, then Human's NMS; the decision is the kept anchors per item. */
function detections(outputs: Record<string, Float32Array>, batch: number): string[] {
  const s512 = outputs['Identity:0']!;
  const s384 = outputs['Identity_1:0']!;
  const r512 = outputs['Identity_2:0']!;
  const r384 = outputs['Identity_3:0']!;
  const result: string[] = [];
  for (let b = 0; b < batch; b++) {
    const boxes: number[][] = [];
    const scores: number[] = [];
    ANCHORS.forEach(([ax, ay], i) => {
      const first = i < 512;
      scores.push(sigmoid(first ? s512[b * 512 + i]! : s384[b * 384 + i - 512]!));
      const regs = first ? r512 : r384;
      const off = (first ? b * 512 + i : b * 384 + i - 512) * 16;
      const [cx, cy, w, h] = [regs[off]! + ax, regs[off + 1]! + ay, regs[off + 2]!, regs[off + 3]!];
      boxes.push([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]);
    });
    const d = DEFAULT_DETECT;
    result.push(nonMaxSuppression(boxes, scores, d.maxFaces, d.iouThreshold, d.minConfidence).join(','));
  }
  return result;
}

/** The decisions a model's outputs drive, one string per item, compared across providers. */
function decisions(m: BenchModel, outputs: Record<string, Float32Array>, batch: number): string[] {
  if (m.decision.kind === 'nms') return detections(outputs, batch);
  const per: string[][] = Array.from({ length: batch }, () => []);
  for (const d of m.decision.outputs) {
    const data = outputs[d.name]!;
    const row = data.length / batch;
    for (let b = 0; b < batch; b++) {
      const slice = data.subarray(b * row, (b + 1) * row);
      if (d.kind === 'argmax') {
        let best = 0;
        for (let k = 1; k < row; k++) if (slice[k]! > slice[best]!) best = k;
        per[b]!.push(String(best));
      } else {
        let over = 0;
        for (const v of slice) if (v > d.threshold) over++;
        per[b]!.push(String(over));
      }
    }
  }
  return per.map((p) => p.join('|'));
}

interface Run {
  ms: number;
  outputs: Record<string, Float32Array>;
}

async function timeRuns(
  session: InferenceSession,
  m: BenchModel,
  data: Float32Array,
  batch: number,
  runs: number,
): Promise<Run> {
  const dims = [batch, ...m.input.shape];
  const feeds = { [m.input.name]: new ort.Tensor('float32', data, dims) };
  let result = await session.run(feeds); // untimed: the first run compiles GPU shaders / allocates
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    result = await session.run(feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const outputs: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(result)) outputs[name] = (t as { data: Float32Array }).data;
  return { ms: times[times.length >> 1]!, outputs };
}

function maxAbsDiff(
  a: Record<string, Float32Array>,
  b: Record<string, Float32Array>,
): { abs: number; rel: number } {
  let abs = 0;
  let rel = 0;
  for (const [name, x] of Object.entries(a)) {
    const y = b[name];
    if (!y || y.length !== x.length) return { abs: Infinity, rel: Infinity };
    let scale = 0;
    let d = 0;
    for (let k = 0; k < x.length; k++) {
      scale = Math.max(scale, Math.abs(x[k]!));
      d = Math.max(d, Math.abs(x[k]! - y[k]!));
    }
    if (Number.isNaN(d)) d = Infinity;
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / Math.max(scale, 1e-12));
  }
  return { abs, rel };
}

const ADAPTER_HINT: Record<string, string> = {
  webgpu:
    "Linux: install the Vulkan loader (libvulkan1) and the GPU vendor's Vulkan driver, check with `vulkaninfo --summary`; " +
    'Windows: a D3D12 GPU driver; macOS: Metal',
  cuda: "CUDA's provider library comes from onnxruntime-node's install step (it downloads it; needs internet)",
  dml: 'DirectML is Windows only',
  coreml: 'CoreML is macOS only',
};

/** ORT's native messages start with a source path and a C++ lambda name; the sentence after them is what helps. */
function short(err: unknown): string {
  const msg = (err instanceof Error ? err.message : String(err)).trim();
  return (msg.split(' was false. ').pop() ?? msg).replace(/\/onnxruntime_src\/\S+:\d+\s*/g, '').slice(0, 300);
}

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

interface Row {
  model: string;
  batch: number;
  ep: string;
  msPerBatch: number;
  facesPerSecond: number;
  /** CPU ms / this provider's ms: above 1 means faster than CPU. */
  speedupVsCpu: number | null;
  maxAbsDiff: number | null;
  maxRelDiff: number | null;
  decisionsAgree: boolean | null;
}

async function main() {
  const args = parse(process.argv.slice(2));
  const manifest = readManifest(args.inputs);
  const models = manifest.models.filter((m) => !args.models || args.models.includes(m.id));
  const ortVersion = (ort.env.versions as Record<string, string | undefined>).node ?? 'unknown';
  console.log(
    `inference bench: ${hostname()}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.versions.node}, ` +
      `onnxruntime-node ${ortVersion}; providers ${args.eps.join(', ')}; batches ${args.batches.join(', ')}; ${args.runs} timed runs (median); ${args.threads ?? 'default'} CPU threads`,
  );
  const unusable: Record<string, string> = {};
  const rows: Row[] = [];
  for (const m of models) {
    const bytes = readFileSync(join(args.inputs, m.file));
    const crops = readFileSync(join(args.inputs, m.crops));
    const sessions = new Map<string, InferenceSession>();
    for (const ep of args.eps) {
      if (unusable[ep]) continue;
      try {
        const options = {
          executionProviders: [ep],
          graphOptimizationLevel: 'all' as const,
          ...(args.threads ? { intraOpNumThreads: args.threads } : {}),
        };
        sessions.set(ep, await ort.InferenceSession.create(bytes, options));
      } catch (err) {
        const why = short(err);
        // An adapter or library that is missing fails every model the same way: say it once and go on.
        if (/adapter|provider|library|\.so|\.dll/i.test(why)) unusable[ep] = why;
        console.log(
          `${m.id}: ${ep} session failed to create: ${why}${ADAPTER_HINT[ep] ? `\n  hint: ${ADAPTER_HINT[ep]}` : ''}`,
        );
      }
    }
    for (const batch of args.batches) {
      const data = buildBatch(m, crops, batch);
      const runs = new Map<string, Run>();
      for (const [ep, session] of sessions) {
        try {
          runs.set(ep, await timeRuns(session, m, data, batch, args.runs));
        } catch (err) {
          console.log(`${m.id} batch ${batch}: ${ep} run failed: ${short(err)}`);
        }
      }
      const cpu = runs.get('cpu');
      const cpuDecisions = cpu ? decisions(m, cpu.outputs, batch) : null;
      for (const [ep, run] of runs) {
        const vs = cpu && ep !== 'cpu' ? maxAbsDiff(cpu.outputs, run.outputs) : null;
        const agree =
          cpuDecisions && ep !== 'cpu'
            ? decisions(m, run.outputs, batch).every((d, i) => d === cpuDecisions[i])
            : null;
        rows.push({
          model: m.id,
          batch,
          ep,
          msPerBatch: Math.round(run.ms * 100) / 100,
          facesPerSecond: Math.round((1000 * batch) / run.ms),
          speedupVsCpu: cpu && ep !== 'cpu' ? Math.round((cpu.ms / run.ms) * 100) / 100 : null,
          maxAbsDiff: vs ? Number(vs.abs.toExponential(2)) : null,
          maxRelDiff: vs ? Number(vs.rel.toExponential(2)) : null,
          decisionsAgree: agree,
        });
        const r = rows[rows.length - 1]!;
        console.log(
          `${m.id.padEnd(14)} batch ${String(batch).padStart(3)}  ${ep.padEnd(6)} ${fmt(r.msPerBatch, 2).padStart(9)} ms/batch ` +
            `${String(r.facesPerSecond).padStart(6)} ${m.unit}/s` +
            (r.speedupVsCpu === null
              ? ''
              : `  GPU:CPU ${fmt(r.speedupVsCpu, 2)}x  max abs diff ${r.maxAbsDiff} (${r.maxRelDiff} of scale)  decisions ${agree ? 'agree' : 'DIFFER'}`),
        );
      }
    }
    for (const s of sessions.values()) await s.release();
  }
  for (const [ep, why] of Object.entries(unusable)) {
    console.log(`${ep} unusable on this machine (${why}): no ${ep} figures, only the other providers'`);
  }
  // The best batch per model and provider, and its speed-up: what the README table reports.
  const best = models.map((m) => {
    const entry: Record<string, unknown> = { model: m.id };
    for (const ep of args.eps) {
      const mine = rows.filter((r) => r.model === m.id && r.ep === ep);
      if (!mine.length) continue;
      const top = mine.reduce((a, b) => (b.facesPerSecond > a.facesPerSecond ? b : a));
      entry[ep] = { batch: top.batch, facesPerSecond: top.facesPerSecond };
    }
    return entry;
  });
  console.log(
    JSON.stringify({
      bench: 'infer',
      host: hostname(),
      cores: cpus().length,
      node: process.versions.node,
      onnxruntime: ortVersion,
      providers: args.eps,
      unusable,
      rows,
      best,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
