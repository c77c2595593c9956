// The `import` job: walk a dataset folder, then per file hash, decode, thumbnail and record (ok or error).
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';
import { walkFolder } from '../../datasets/walk';
import { decodeWithThumb, writeThumb } from '../../thumbs';
import type { JobKindHandler } from '../types';

function datasetRoot(job: { datasetId: number | null }, ctx: Parameters<JobKindHandler['plan']>[1]) {
  const ds = job.datasetId === null ? undefined : ctx.store.datasets.get(job.datasetId);
  if (!ds) throw new AppError('not_found', `dataset ${job.datasetId} no longer exists`);
  return ds;
}

/** libvips messages are multi-line ("Input buffer has corrupt header:\n  pngload: …"): join them. */
function reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const text = msg
    .split('\n')
    .map((l) => l.trim().replace(/:$/, ''))
    .filter(Boolean)
    .join(': ');
  return text.slice(0, 500) || 'cannot decode image';
}

export const importKind: JobKindHandler = {
  // Two files decoded at once (sharp works off the main thread), committed in path order: images get their ids
  // in path order, which the gallery pages by.
  concurrency: 2,
  commitInOrder: true,
  async plan(job, ctx) {
    const ds = datasetRoot(job, ctx);
    const walk = await walkFolder(ds.root, ctx.signal);
    return { keys: walk.images, summary: { skipped: walk.skipped } };
  },

  async process(job, item, ctx) {
    const ds = datasetRoot(job, ctx);
    const datasetId = ds.id;
    const relPath = item.key;
    const file = join(ds.root, relPath);
    let st;
    try {
      st = await stat(file);
    } catch (err) {
      return { counter: 'missing', error: `file vanished during import: ${reason(err)}` };
    }
    const known = ctx.store.images.findStat(datasetId, relPath);
    if (known && known.sizeBytes === st.size && known.mtimeMs === Math.trunc(st.mtimeMs)) {
      return { counter: 'unchanged' };
    }
    const counter = known ? 'updated' : 'added';
    const base = { datasetId, relPath, sizeBytes: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      const error = `cannot read file: ${reason(err)}`;
      const rec = { ...base, sha256: null, width: null, height: null, status: 'error' as const, error };
      return { counter: 'errors', error, commit: () => void ctx.store.images.upsert(rec) };
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    try {
      if (bytes.length === 0) throw new Error('empty file (0 bytes)');
      const { width, height, thumb } = await decodeWithThumb(bytes);
      await writeThumb(ctx.paths.thumbsDir, sha256, thumb);
      const rec = { ...base, sha256, width, height, status: 'ok' as const, error: null };
      return { counter, commit: () => void ctx.store.images.upsert(rec) };
    } catch (err) {
      const error = reason(err);
      const rec = { ...base, sha256, width: null, height: null, status: 'error' as const, error };
      // A file that fails to decode is still recorded (the UI lists it) and counted as a failed item.
      return { counter: 'errors', error, commit: () => void ctx.store.images.upsert(rec) };
    }
  },
};
