// `npm run bench -- analyze`: throughput, stage times, overhead vs pure ORT, API latency, RSS, and Human on TF.js
// WASM as the peer (scripts/bench/peer.ts). Needs the built CLI (`npm run build`) for the peer's whole-process run.
// FACEINSIGHT_MODEL_THREAD=0 runs the sessions on the job's main thread instead (throughput comparison; no overhead).
// Options: --ep cpu|webgpu|auto (default cpu) --images N (corpus size, default 204) --concurrency C --batch-size B
// --subset K (in-process phase, default 24) --peer-images P (default 60: the demo photos ten times; Human takes
// ~1.2 s an image here) --sweep (batch size x concurrency table, in-process) --no-peer.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset, Job, Page } from '../../src/shared/api';
import { comparePeer } from './peer';
import { AppError } from '../../src/shared/errors';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEMO = join(ROOT, 'node_modules', '@vladmandic', 'face-api', 'demo');
const SAMPLES = [1, 2, 3, 4, 5, 6].map((i) => join(DEMO, `sample${i}.jpg`));

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isInteger(v) && v > 0 ? v : fallback;
}
const has = (name: string) => process.argv.includes(name);
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sum = (xs: Iterable<number>) => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};
function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** The demo photos copied (not linked: every file is read and decoded) to `n` files. */
function corpus(dir: string, n: number): string[] {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const src = SAMPLES[i % SAMPLES.length]!;
    const to = join(
      dir,
      `c${String(Math.floor(i / SAMPLES.length)).padStart(3, '0')}-sample${(i % 6) + 1}.jpg`,
    );
    copyFileSync(src, to);
    out.push(to);
  }
  return out;
}

/** Resident set size (VmRSS) and its high-water mark (VmHWM) of a process, in MB, from /proc. */
function rssOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { startApp } = await import('../../src/main/app');
  const { openStore } = await import('../../src/main/store/index');
  const { dataPaths } = await import('../../src/main/paths');
  const { runJob } = await import('../../src/main/jobs/runner');
  const { analyzeKind, setAnalyzeProbe, ANALYZE_CONCURRENCY } =
    await import('../../src/main/jobs/kinds/analyze');
  const { DEFAULT_BATCH_SIZE } = await import('../../src/main/analysis/index');

  const { isExecutionProviderRequest } = await import('../../src/main/models/ep');
  const epArg = process.argv[process.argv.indexOf('--ep') + 1];
  const ep = process.argv.includes('--ep') ? epArg : 'cpu';
  if (!isExecutionProviderRequest(ep)) throw new Error(`--ep: expected auto, cpu or webgpu, got ${epArg}`);
  const IMAGES = flag('--images', 204);
  const SUBSET = flag('--subset', 24);
  const PEER_IMAGES = flag('--peer-images', 60);
  const concurrency = flag('--concurrency', ANALYZE_CONCURRENCY);
  const batchSize = flag('--batch-size', DEFAULT_BATCH_SIZE);
  const tmp = mkdtempSync(join(tmpdir(), 'fi-bench-analyze-'));
  const call = async <T>(host: { call(m: string, r: unknown): Promise<unknown> }, m: string, r: unknown) => {
    const env = (await host.call(m, r)) as { ok: boolean; value?: T; error?: unknown };
    if (!env.ok) throw AppError.fromData(env.error as never);
    return env.value as T;
  };

  try {
    corpus(join(tmp, 'photos'), IMAGES);
    const dataDir = join(tmp, 'data');

    // ---- Phase 1: the app path (service -> job process), with a UI-like loop of list calls.
    console.log(`corpus: ${IMAGES} images (the 6 demo photos copied) in ${tmp}`);
    const host = await startApp({ dataDir, mode: 'browser' });
    const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
      root: join(tmp, 'photos'),
    });
    const waitJob = async (id: number) => {
      for (;;) {
        const j = await call<Job>(host, 'jobs.get', { id });
        if (j.state === 'done' || j.state === 'failed' || j.state === 'cancelled') return j;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const imported = await waitJob(created.job.id);
    if (imported.state !== 'done') throw new Error(`import ${imported.state}: ${imported.error}`);
    const datasetId = created.dataset.id;
    let done = 0;
    host.on((event, payload) => {
      if (event === 'jobs.progressed') done = (payload as { done: number }).done;
    });
    const t0 = performance.now();
    const job = await call<Job>(host, 'datasets.analyze', {
      datasetId,
      ep,
      concurrency,
      ...(has('--batch-size') ? { batchSize } : {}),
    });
    let finished: Job | null = null;
    const latencies: number[] = [];
    const rss: { done: number; rss: number; hwm: number }[] = [];
    const api = (async () => {
      for (let k = 0; !finished; k++) {
        const t = performance.now();
        if (k % 2 === 0) await call<Page<unknown>>(host, 'images.list', { datasetId, limit: 100 });
        else await call<Page<unknown>>(host, 'faces.list', { datasetId, limit: 100 });
        latencies.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const sampler = setInterval(() => {
      const pid = host.jobs.pid;
      const r = pid === undefined ? null : rssOf(pid);
      if (r) rss.push({ done, ...r });
    }, 250);
    finished = await waitJob(job.id);
    const wallS = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    await api;
    await host.close();
    if (finished.state !== 'done') throw new Error(`analyze ${finished.state}: ${finished.error}`);
    const faces = finished.summary.faces ?? 0;
    const imagesPerSecond = finished.done / wallS;
    const facesPerSecond = faces / wallS;
    const peakRssMB = Math.max(...rss.map((r) => r.hwm));
    // RSS against progress: a bounded run levels off after the first images (sessions, arenas) instead of growing.
    const rssAt = (f: number) =>
      (rss.find((r) => r.done >= f * finished!.total) ?? rss[rss.length - 1])?.rss ?? NaN;
    const rssByProgress = Object.fromEntries(
      [0.25, 0.5, 0.75, 1].map((f) => [`${f * 100}%`, round(rssAt(f))]),
    );
    const rssGrowthMB = rssAt(1) - rssAt(0.25);

    // ---- Phase 2, in this process: the same job kind, recording every model call for the replay.
    const store = openStore(join(dataDir, 'faceinsight.db'));
    const paths = dataPaths(dataDir);
    const imageIds = store.images.staleForAnalysis(datasetId, 'none', true).slice(0, SUBSET + 6);
    const warmIds = imageIds.slice(0, 6);
    const measuredIds = imageIds.slice(6, 6 + SUBSET);
    let thread: import('../../src/main/analysis/model-thread').ModelThreads | null = null;
    let recording = false;
    const stages: Record<string, number> = {};
    let stageImages = 0;
    setAnalyzeProbe({
      onPipeline(t) {
        thread = t;
      },
      onImage(ms) {
        if (!recording) return;
        stageImages++;
        for (const [k, v] of Object.entries(ms)) stages[k] = (stages[k] ?? 0) + v;
      },
    });
    const ctx = { store, paths, worker: 'bench', signal: new AbortController().signal };
    const runInProcess = async (ids: number[], c: number, b: number) => {
      const id = store.write(() =>
        store.jobs.create('analyze', datasetId, {
          force: true,
          imageIds: ids,
          ep,
          concurrency: c,
          batchSize: b,
        }),
      );
      const t = performance.now();
      await runJob(store.jobs.get(id)!, { analyze: analyzeKind }, ctx, { onProgress() {} });
      const ms = performance.now() - t;
      const j = store.jobs.get(id)!;
      if (j.state !== 'done') throw new Error(`in-process analyze ${j.state}: ${j.error}`);
      return ms;
    };
    await runInProcess(warmIds, concurrency, batchSize); // loads the sessions
    const modelThread = thread as import('../../src/main/analysis/model-thread').ModelThreads | null;
    // Every model run as the thread's sessions receive it (after batching), copied there (onto memory set aside
    // beforehand: ~28 MB of inputs an image) and replayed afterwards through the same sessions (so the same
    // thread settings), in the same order, with the same batches. Without the thread (FACEINSIGHT_MODEL_THREAD=0,
    // for comparison) the stages and throughput are measured, the overhead is not.
    await modelThread?.record(true, 32e6 * measuredIds.length);
    recording = true;
    const pipelineMs = await runInProcess(measuredIds, concurrency, batchSize);
    recording = false;
    const {
      byModel: replayByModel,
      inPipelineMs: inPipelineOrtMs,
      recordedBytes,
    } = modelThread ? await modelThread.replay() : { byModel: {}, inPipelineMs: NaN, recordedBytes: 0 };
    const replayMs = sum(Object.values(replayByModel).map((r) => r.ms));
    const overheadRatio = modelThread ? pipelineMs / replayMs : NaN;
    const per = (k: string) => (stages[k] ?? 0) / Math.max(1, stageImages);
    const stagesMs = {
      decode: round(per('decode')),
      detect: round(per('detect')),
      landmarks: round(per('crop') + per('mesh')),
      // The heads and the faces' selfie mattes are requested together, so `heads` includes the mattes and the derived
      // parsing maps drawn from them while the heads run; `parsingMap` is the rest (PNG encoding, derived attributes).
      heads: round(per('heads')),
      parsingMap: round(per('parsing')),
      store: round(per('store')),
    };

    // ---- Optional sweep of batch size x concurrency (in-process, same subset), for tuning the defaults.
    const sweep: { batchSize: number; concurrency: number; imagesPerSecond: number }[] = [];
    if (has('--sweep')) {
      for (const c of [1, 2, 4]) {
        for (const b of [1, 4, 8, 16]) {
          const ms = await runInProcess(measuredIds, c, b);
          sweep.push({
            batchSize: b,
            concurrency: c,
            imagesPerSecond: round(measuredIds.length / (ms / 1000), 2),
          });
        }
      }
    }
    setAnalyzeProbe(null);
    store.close();

    // ---- Phase 3: the peer (Human on TF.js WASM) and ours on the same photos, whole process and steady state.
    const peer = has('--no-peer')
      ? null
      : await comparePeer({
          root: ROOT,
          tmp,
          photos: corpus(join(tmp, 'peer-photos'), PEER_IMAGES),
          photoDir: join(tmp, 'peer-photos'),
          ep,
          concurrency,
          batchSize,
        });

    // ---- Report.
    const apiLatencyMsP50 = quantile(latencies, 0.5);
    const apiLatencyMsP95 = quantile(latencies, 0.95);
    console.log('');
    console.log(
      `app path (startApp -> datasets.analyze in the job process), ${finished.done} images, ${faces} faces`,
    );
    console.log(
      `  provider ${ep}, concurrency ${concurrency}, batch size ${has('--batch-size') ? batchSize : `${DEFAULT_BATCH_SIZE} (default)`}`,
    );
    console.log(
      `  wall ${round(wallS, 1)} s   images/s ${round(imagesPerSecond, 2)}   faces/s ${round(facesPerSecond, 2)}`,
    );
    console.log(
      `  API while running: ${latencies.length} list calls, p50 ${round(apiLatencyMsP50)} ms, p95 ${round(apiLatencyMsP95)} ms`,
    );
    console.log(
      `  job process RSS: peak ${round(peakRssMB)} MB; by progress ${JSON.stringify(rssByProgress)} MB`,
    );
    console.log('');
    console.log(`stages, mean ms per image (in-process, ${stageImages} images; images in flight overlap):`);
    for (const [k, v] of Object.entries(stagesMs)) console.log(`  ${k.padEnd(11)} ${String(v).padStart(8)}`);
    console.log('');
    if (!modelThread) {
      console.log(
        `overhead: not measured (sessions on the job's main thread, FACEINSIGHT_MODEL_THREAD=0); ` +
          `pipeline ${round(pipelineMs)} ms, ${round(measuredIds.length / (pipelineMs / 1000), 2)} images/s`,
      );
    } else {
      console.log('overhead: pipeline wall vs the same model calls replayed on the same sessions');
      console.log('  model          calls   rows   replay ms');
    }
    for (const [m, r] of Object.entries(replayByModel)) {
      console.log(
        `  ${m.padEnd(14)} ${String(r.calls).padStart(5)} ${String(r.rows).padStart(6)} ${String(round(r.ms)).padStart(11)}`,
      );
    }
    if (modelThread) {
      console.log(
        `  pipeline ${round(pipelineMs)} ms, model calls inside it ${round(inPipelineOrtMs)} ms, replay ${round(replayMs)} ms` +
          ` (${round(recordedBytes / 1e6, 0)} MB of inputs recorded)`,
      );
      console.log(`  overhead ratio ${round(overheadRatio, 2)}`);
    }
    if (sweep.length) {
      console.log('');
      console.log('sweep (in-process images/s):');
      for (const s of sweep)
        console.log(
          `  batch ${String(s.batchSize).padStart(2)}  concurrency ${s.concurrency}  ${s.imagesPerSecond}`,
        );
    }
    if (peer) {
      const secs = (ms: number) => `${round(ms / 1000, 1)} s`;
      console.log('');
      console.log(
        `peer: @vladmandic/human on TF.js backend "${peer.humanBackend}" (SIMD), same face models and the selfie matte; ` +
          `${peer.images} images (the demo photos copied)`,
      );
      console.log(
        `  whole process (spawn to exit): Human ${secs(peer.humanWholeMs)} (models ${secs(peer.humanLoadMs)}, ` +
          `${peer.humanFaces} faces), faceinsight analyze ${secs(peer.oursWholeMs)} (${peer.oursFaces} faces); ratio ${round(peer.ratioWhole, 2)}`,
      );
      console.log(
        `  steady state (models loaded): Human ${secs(peer.humanSteadyMs)}, ours ${secs(peer.oursSteadyMs)}; ` +
          `ratio ${round(peer.ratioSteady, 2)}`,
      );
    }
    console.log(
      JSON.stringify({
        images: finished.done,
        faces,
        ep,
        concurrency,
        batchSize,
        imagesPerSecond: round(imagesPerSecond, 3),
        facesPerSecond: round(facesPerSecond, 3),
        overheadRatio: round(overheadRatio, 3),
        pipelineMs: round(pipelineMs),
        replayOrtMs: round(replayMs),
        inPipelineOrtMs: round(inPipelineOrtMs),
        peerRatioWasm: peer ? round(peer.ratioSteady, 3) : null,
        peerRatioWasmWholeProcess: peer ? round(peer.ratioWhole, 3) : null,
        peerImages: peer?.images ?? null,
        peerBackend: peer?.humanBackend ?? null,
        peerHumanSteadyMs: peer ? round(peer.humanSteadyMs) : null,
        peerOursSteadyMs: peer ? round(peer.oursSteadyMs) : null,
        peerHumanWholeMs: peer ? round(peer.humanWholeMs) : null,
        peerOursWholeMs: peer ? round(peer.oursWholeMs) : null,
        peerHumanFaces: peer?.humanFaces ?? null,
        peerOursFaces: peer?.oursFaces ?? null,
        apiLatencyMsP50: round(apiLatencyMsP50),
        apiLatencyMsP95: round(apiLatencyMsP95),
        apiCalls: latencies.length,
        peakRssMB: round(peakRssMB),
        rssByProgressMB: rssByProgress,
        rssGrowthMB: round(rssGrowthMB),
        stagesMs,
        stagesImages: stageImages,
        sweep: sweep.length ? sweep : undefined,
      }),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
