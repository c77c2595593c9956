// The analyze bench's peer comparison: @vladmandic/human on TF.js WASM (scripts/bench/human-peer.mjs) against our
// analyzer on the same photos, as whole processes (spawn to exit: start, load models, analyse all) and in steady
// state (models loaded and warm before timing), each side measured the same way.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionProviderRequest } from '../../src/main/models/ep';

export interface PeerFigures {
  images: number;
  /** Human: spawn to exit; inside it, model loading; the images after the first, scaled to all of them. */
  humanWholeMs: number;
  humanLoadMs: number;
  humanSteadyMs: number;
  humanFaces: number;
  humanBackend: string;
  /** Ours: `faceinsight analyze` on a fresh data dir, spawn to exit (import and thumbnails included). */
  oursWholeMs: number;
  /** Ours: the analyzer on the model threads after a warm-up, the photos `concurrency` at a time (ours-steady.ts). */
  oursSteadyMs: number;
  oursFaces: number;
  /** Human's time ÷ ours. */
  ratioWhole: number;
  ratioSteady: number;
}

interface HumanReport {
  backend: string;
  loadMs: number;
  imageMs: number[];
  totalMs: number;
  faces: number;
}

/** Runs a command; resolves with its wall time (spawn to exit) and stdout, rejects on a non-zero exit. */
function timed(cmd: string, args: string[], cwd: string): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t;
      if (code === 0) resolve({ ms, stdout });
      else reject(new Error(`${cmd} ${args.slice(0, 2).join(' ')} … exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

export async function comparePeer(opts: {
  root: string;
  tmp: string;
  photos: string[];
  photoDir: string;
  ep: ExecutionProviderRequest;
  concurrency: number;
  batchSize: number;
}): Promise<PeerFigures> {
  const { root, tmp, photos } = opts;
  const cli = join(root, 'bin', 'faceinsight.js');
  if (!existsSync(join(root, 'out', 'main', 'cli.js'))) {
    throw new Error('bench analyze: out/main/cli.js is missing; run `npm run build` first');
  }
  // Human first, then ours whole, then ours steady: each alone on the machine.
  const out = join(tmp, 'human-peer.json');
  const human = await timed(
    process.execPath,
    [join(root, 'scripts', 'bench', 'human-peer.mjs'), out, ...photos],
    root,
  );
  const report = JSON.parse(readFileSync(out, 'utf8')) as HumanReport;
  const later = report.imageMs.slice(1);
  const humanSteadyMs =
    (later.reduce((a, b) => a + b, 0) / Math.max(1, later.length)) * report.imageMs.length;

  const dataDir = join(tmp, 'peer-data');
  mkdirSync(dataDir, { recursive: true });
  const ours = await timed(
    process.execPath,
    [cli, 'analyze', opts.photoDir, '--data-dir', dataDir, '--ep', opts.ep, '--json'],
    root,
  );
  const summary = JSON.parse(ours.stdout.trim().split('\n').at(-1)!) as { images: number; faces: number };
  if (summary.images !== photos.length) {
    throw new Error(`faceinsight analyze reported ${summary.images} images for ${photos.length}`);
  }

  const steadyOut = join(tmp, 'ours-steady.json');
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  await timed(
    process.execPath,
    [
      tsx,
      join(root, 'scripts', 'bench', 'ours-steady.ts'),
      steadyOut,
      opts.ep,
      String(opts.concurrency),
      String(opts.batchSize),
      dataDir,
      ...photos,
    ],
    root,
  );
  const steady = JSON.parse(readFileSync(steadyOut, 'utf8')) as { steadyMs: number; faces: number };
  const oursSteadyMs = steady.steadyMs;
  return {
    images: photos.length,
    humanWholeMs: human.ms,
    humanLoadMs: report.loadMs,
    humanSteadyMs,
    humanFaces: report.faces,
    humanBackend: report.backend,
    oursWholeMs: ours.ms,
    oursSteadyMs,
    oursFaces: summary.faces,
    ratioWhole: human.ms / ours.ms,
    ratioSteady: humanSteadyMs / oursSteadyMs,
  };
}
