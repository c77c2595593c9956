// Multi-label logistic heads over a frozen embedding: class-weighted BCE + λ·L_c, Adam, WASM SIMD products.
import { mulberry32, sigmoid } from '../../shared/numeric';
import { AppError } from '../../shared/errors';
import type { PackedClauses } from '../../shared/rules/clauses';
import { Kernels, pad4 } from './simd';

/** Labelled rows: `x` is n × d (row-major), `y` is n × keys.length with +1 / -1, 0 where unknown. */
export interface TrainSet {
  x: Float32Array;
  y: Int8Array;
  n: number;
  d: number;
  keys: readonly string[];
}

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** L2 penalty on the weights (on standardised features). */
  l2?: number;
  /** Weight of the constraint loss L_c (0 = plain BCE). */
  lambda?: number;
  clauses?: PackedClauses | null;
  seed?: number;
  /** Called after every epoch with the mean loss; may await (the job lets its process breathe here). */
  onEpoch?: (epoch: number, loss: number) => void | Promise<void>;
  /** Checked between mini-batches; throwing from it stops training. */
  checkCancel?: () => void;
}

/** A trained model: p = sigmoid(x · w + b) with standardisation folded into w and b. */
export interface Heads {
  keys: string[];
  d: number;
  /** d × keys.length, row-major. */
  w: Float32Array;
  b: Float32Array;
}

export function shuffle(a: Int32Array, rand: () => number): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/**
 * Trains one head per key on `set`. Loss per face: Σ_c w_c(y)·BCE(p_c, y_c) over known labels, with
 * w_c(+1) = n_c / (2·pos_c) and w_c(-1) = n_c / (2·neg_c) (balanced), plus λ · Σ_clauses Π_literals
 * P(literal false) — e.g. p_A·p_B for A -> !B, Σ_{i<j} p_i·p_j for atmost1 — averaged over the batch.
 */
export async function trainHeads(set: TrainSet, opts: TrainOptions = {}): Promise<Heads> {
  const { n, d, keys } = set;
  const k = keys.length;
  if (n === 0 || k === 0) throw new AppError('invalid_request', 'nothing to train on: no labelled faces');
  const epochs = opts.epochs ?? 20;
  // Small sets get small batches, so 20 epochs still take enough Adam steps (~32 per epoch at most sizes).
  const auto = Math.min(256, Math.max(32, 2 ** Math.round(Math.log2(Math.max(n, 1) / 32))));
  const batch = Math.max(4, Math.min(opts.batchSize ?? auto, n));
  const lr = opts.learningRate ?? 0.02;
  const l2 = opts.l2 ?? 1e-4;
  const lambda = opts.lambda ?? 0;
  const clauses = lambda > 0 ? (opts.clauses ?? null) : null;
  const rand = mulberry32(opts.seed ?? 1);

  // Standardise features on this training set (the faceres descriptor is not normalised).
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const v = set.x[o + j]!;
      mean[j]! += v;
      sq[j]! += v * v;
    }
  }
  const inv = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mean[j]! /= n;
    const variance = sq[j]! / n - mean[j]! * mean[j]!;
    inv[j] = variance > 1e-12 ? 1 / Math.sqrt(variance) : 0;
  }

  // Balanced class weights per head from the known labels.
  const wPos = new Float64Array(k);
  const wNeg = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < n; i++) {
      const y = set.y[i * k + c]!;
      if (y > 0) pos++;
      else if (y < 0) neg++;
    }
    const known = pos + neg;
    wPos[c] = pos > 0 ? Math.min(known / (2 * pos), 50) : 0;
    wNeg[c] = neg > 0 ? Math.min(known / (2 * neg), 50) : 0;
  }

  const d4 = pad4(d);
  const kp = pad4(k);
  const b4 = pad4(batch);
  const K = new Kernels(d4, kp);
  const xsAt = K.alloc(n * d4) / 4;
  const xbAt = K.alloc(b4 * d4) / 4;
  const zAt = K.alloc(b4 * kp) / 4;
  const gAt = K.alloc(b4 * kp) / 4;
  const wAt = K.alloc(d4 * kp) / 4;
  const gwAt = K.alloc(d4 * kp) / 4;
  const mem = new Float32Array(K.memory.buffer);
  for (let i = 0; i < n; i++) {
    const src = i * d;
    const dst = xsAt + i * d4;
    for (let j = 0; j < d; j++) mem[dst + j] = (set.x[src + j]! - mean[j]!) * inv[j]!;
  }
  // Small random start so the heads do not all begin on the same saddle.
  for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) mem[wAt + j * kp + c] = (rand() - 0.5) * 0.01;
  const bias = new Float64Array(k);
  const mW = new Float32Array(d4 * kp);
  const vW = new Float32Array(d4 * kp);
  const mB = new Float64Array(k);
  const vB = new Float64Array(k);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const order = new Int32Array(n).map((_, i) => i);
  const p = new Float64Array(k);
  const gb = new Float64Array(k);
  let step = 0;

  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffle(order, rand);
    let lossSum = 0;
    for (let s = 0; s < n; s += batch) {
      opts.checkCancel?.();
      const rows = Math.min(batch, n - s);
      for (let r = 0; r < rows; r++) {
        const from = xsAt + order[s + r]! * d4;
        mem.copyWithin(xbAt + r * d4, from, from + d4);
      }
      K.forward(xbAt * 4, wAt * 4, zAt * 4, pad4(rows));
      gb.fill(0);
      const scale = 1 / rows;
      for (let r = 0; r < rows; r++) {
        const yo = order[s + r]! * k;
        const zo = zAt + r * kp;
        const go = gAt + r * kp;
        for (let c = 0; c < k; c++) {
          const z = mem[zo + c]! + bias[c]!;
          const pc = sigmoid(z);
          p[c] = pc;
          const y = set.y[yo + c]!;
          let g = 0;
          if (y > 0) {
            g = wPos[c]! * (pc - 1);
            lossSum -= wPos[c]! * Math.log(Math.max(pc, 1e-12));
          } else if (y < 0) {
            g = wNeg[c]! * pc;
            lossSum -= wNeg[c]! * Math.log(Math.max(1 - pc, 1e-12));
          }
          mem[go + c] = g;
        }
        if (clauses) {
          for (let q = 0; q < clauses.count; q++) {
            const a = clauses.start[q]!;
            const e = clauses.start[q + 1]!;
            // P(literal false): 1 - p for a positive literal, p for a negative one.
            let prod = 1;
            for (let l = a; l < e; l++) {
              const pc = p[clauses.idx[l]!]!;
              prod *= clauses.pos[l] ? 1 - pc : pc;
            }
            if (prod < 1e-9) continue;
            lossSum += lambda * prod;
            for (let l = a; l < e; l++) {
              const c = clauses.idx[l]!;
              const pc = p[c]!;
              const qf = clauses.pos[l] ? 1 - pc : pc;
              if (qf <= 0) continue;
              // d(prod)/dz_c = prod / q_c · dq_c/dz_c, with dq/dz = ∓ p(1-p).
              const dq = (clauses.pos[l] ? -1 : 1) * pc * (1 - pc);
              mem[go + c]! += lambda * (prod / qf) * dq;
            }
          }
        }
        for (let c = 0; c < k; c++) {
          const g = mem[go + c]! * scale;
          mem[go + c] = g;
          gb[c]! += g;
        }
      }
      K.backward(xbAt * 4, gAt * 4, gwAt * 4, rows);
      step++;
      const c1 = 1 / (1 - Math.pow(beta1, step));
      const c2 = 1 / (1 - Math.pow(beta2, step));
      for (let j = 0; j < d; j++) {
        const o = j * kp;
        for (let c = 0; c < k; c++) {
          const wi = wAt + o + c;
          const g = mem[gwAt + o + c]! + l2 * mem[wi]!;
          const m = (mW[o + c] = beta1 * mW[o + c]! + (1 - beta1) * g);
          const v = (vW[o + c] = beta2 * vW[o + c]! + (1 - beta2) * g * g);
          mem[wi]! -= (lr * m * c1) / (Math.sqrt(v * c2) + eps);
        }
      }
      for (let c = 0; c < k; c++) {
        const g = gb[c]!;
        mB[c] = beta1 * mB[c]! + (1 - beta1) * g;
        vB[c] = beta2 * vB[c]! + (1 - beta2) * g * g;
        bias[c]! -= (lr * mB[c]! * c1) / (Math.sqrt(vB[c]! * c2) + eps);
      }
    }
    await opts.onEpoch?.(epoch, lossSum / n);
  }

  // Fold the standardisation in: z = Σ_j x_j·(inv_j·w_jc) + (b_c − Σ_j mean_j·inv_j·w_jc).
  const w = new Float32Array(d * k);
  const b = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    let shift = 0;
    for (let j = 0; j < d; j++) {
      const wj = mem[wAt + j * kp + c]! * inv[j]!;
      w[j * k + c] = wj;
      shift += mean[j]! * wj;
    }
    b[c] = bias[c]! - shift;
  }
  return { keys: [...keys], d, w, b };
}

/** P(+1) of every head for `n` rows of `x` (n × d), as n × keys.length; runs in chunks. */
export function predictHeads(heads: Heads, x: Float32Array, n: number, chunk = 4096): Float32Array {
  const { d } = heads;
  const k = heads.keys.length;
  const out = new Float32Array(n * k);
  if (n === 0) return out;
  const d4 = pad4(d);
  const kp = pad4(k);
  const rowsMax = pad4(Math.min(chunk, n));
  const K = new Kernels(d4, kp);
  const xAt = K.alloc(rowsMax * d4) / 4;
  const wAt = K.alloc(d4 * kp) / 4;
  const zAt = K.alloc(rowsMax * kp) / 4;
  const mem = new Float32Array(K.memory.buffer);
  for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) mem[wAt + j * kp + c] = heads.w[j * k + c]!;
  for (let s = 0; s < n; s += rowsMax) {
    const rows = Math.min(rowsMax, n - s);
    if (d4 === d) mem.set(x.subarray(s * d, (s + rows) * d), xAt);
    else for (let r = 0; r < rows; r++) mem.set(x.subarray((s + r) * d, (s + r + 1) * d), xAt + r * d4);
    K.forward(xAt * 4, wAt * 4, zAt * 4, pad4(rows));
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < k; c++) out[(s + r) * k + c] = sigmoid(mem[zAt + r * kp + c]! + heads.b[c]!);
  }
  return out;
}

/** Weights as one float32 blob (w then b) for the database. */
export function headsToBlob(h: Heads): Buffer {
  const all = new Float32Array(h.w.length + h.b.length);
  all.set(h.w);
  all.set(h.b, h.w.length);
  return Buffer.from(all.buffer, all.byteOffset, all.byteLength);
}

export function headsFromBlob(blob: Uint8Array, keys: string[], d: number): Heads {
  const copy = new Uint8Array(blob);
  const all = new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  const k = keys.length;
  if (all.length !== d * k + k) {
    throw new AppError('internal', `stored heads have ${all.length} weights, expected ${d * k + k}`);
  }
  return { keys, d, w: all.slice(0, d * k), b: all.slice(d * k) };
}
