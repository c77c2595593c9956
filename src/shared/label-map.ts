// Label maps (one canonical parsing-class id per pixel): painting, polygon fill and the run-length encoding
// that masks.save carries, shared so the renderer encodes exactly what main decodes.
import { AppError } from './errors';
import { PARSING_CLASSES } from './taxonomy';

export interface LabelMap {
  width: number;
  height: number;
  /** Canonical class id per pixel, row-major. */
  ids: Uint8Array;
}

/** Fills a disc of `id` (the brush; 0 = eraser back to background). */
export function paintDisc(map: LabelMap, cx: number, cy: number, radius: number, id: number): void {
  const r2 = radius * radius;
  for (let y = Math.max(0, Math.floor(cy - radius)); y <= Math.min(map.height - 1, cy + radius); y++) {
    for (let x = Math.max(0, Math.floor(cx - radius)); x <= Math.min(map.width - 1, cx + radius); x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r2) map.ids[y * map.width + x] = id;
    }
  }
}

/** Paints discs along a segment so fast strokes leave no gaps. */
export function paintLine(
  map: LabelMap,
  from: readonly [number, number],
  to: readonly [number, number],
  radius: number,
  id: number,
): void {
  const steps = Math.max(
    1,
    Math.ceil(Math.hypot(to[0] - from[0], to[1] - from[1]) / Math.max(1, radius / 2)),
  );
  for (let s = 0; s <= steps; s++) {
    const t = s / steps;
    paintDisc(map, from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t, radius, id);
  }
}

/** Fills a polygon (even-odd, pixel centres) with `id`. */
export function fillPolygon(map: LabelMap, points: readonly (readonly [number, number])[], id: number): void {
  if (points.length < 3) return;
  for (let y = 0; y < map.height; y++) {
    const yc = y + 0.5;
    const xs: number[] = [];
    for (let i = 0; i < points.length; i++) {
      const [x1, y1] = points[i] as readonly [number, number];
      const [x2, y2] = points[(i + 1) % points.length] as readonly [number, number];
      if (y1 <= yc === y2 <= yc) continue;
      xs.push(x1 + ((yc - y1) / (y2 - y1)) * (x2 - x1));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const a = Math.max(0, Math.ceil((xs[k] as number) - 0.5));
      const b = Math.min(map.width - 1, Math.floor((xs[k + 1] as number) - 0.5));
      if (b >= a) map.ids.fill(id, y * map.width + a, y * map.width + b + 1);
    }
  }
}

/** `[classId, count, ...]` over the row-major ids: what masks.save takes. */
export function encodeRuns(ids: Uint8Array): number[] {
  const runs: number[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i + 1;
    while (j < ids.length && ids[j] === ids[i]) j++;
    runs.push(ids[i] as number, j - i);
    i = j;
  }
  return runs;
}

/** Expands `[classId, count, ...]` to one id per pixel, refusing unknown ids and a wrong pixel total. */
export function decodeRuns(runs: readonly number[], width: number, height: number): Uint8Array {
  if (runs.length % 2 !== 0) {
    throw new AppError('invalid_request', 'runs must be [classId, count] pairs', {
      where: { field: 'runs' },
    });
  }
  const total = width * height;
  let sum = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const id = runs[i] as number;
    if (!Number.isInteger(id) || id < 0 || id >= PARSING_CLASSES.length) {
      throw new AppError(
        'invalid_request',
        `class id ${id} is not a parsing class (0..${PARSING_CLASSES.length - 1})`,
        { where: { field: `runs.${i}` } },
      );
    }
    sum += runs[i + 1] as number;
  }
  if (sum !== total) {
    throw new AppError(
      'invalid_request',
      `runs cover ${sum} pixels, the mask is ${width}×${height} = ${total}`,
      {
        where: { field: 'runs' },
      },
    );
  }
  const ids = new Uint8Array(total);
  for (let i = 0, at = 0; i < runs.length; i += 2) {
    const count = runs[i + 1] as number;
    ids.fill(runs[i] as number, at, at + count);
    at += count;
  }
  return ids;
}
