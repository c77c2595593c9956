// Label maps on the canvas: PNG decoding (fast-png), class colours, rendering; painting lives in @shared/label-map.
import { decode } from 'fast-png';
import { PARSING_CLASSES } from '@shared/taxonomy';
import { encodeRuns, fillPolygon, paintLine, type LabelMap } from '@shared/label-map';

/** What a pointer does on the stage. */
export type Tool = 'view' | 'brush' | 'eraser' | 'polygon';

export type { LabelMap };
export { encodeRuns, fillPolygon, paintLine };

/** One colour per canonical class (CelebAMask-HQ's order); background is never drawn. */
export const CLASS_COLOURS: readonly [number, number, number][] = [
  [0, 0, 0],
  [230, 170, 120],
  [255, 120, 60],
  [60, 200, 255],
  [80, 120, 255],
  [140, 90, 255],
  [255, 220, 60],
  [200, 230, 40],
  [255, 90, 170],
  [220, 60, 220],
  [255, 40, 60],
  [255, 70, 120],
  [200, 40, 90],
  [120, 70, 30],
  [40, 220, 140],
  [255, 200, 230],
  [160, 255, 240],
  [120, 160, 110],
  [70, 110, 160],
];

export function classColour(id: number): string {
  const [r, g, b] = CLASS_COLOURS[id] ?? [255, 255, 255];
  return `rgb(${r} ${g} ${b})`;
}

/** Class ids of a stored mask PNG: channel 0 (masks may repeat the id in every channel). */
export function decodeLabelMap(bytes: ArrayBuffer): LabelMap {
  const png = decode(new Uint8Array(bytes));
  const ids = new Uint8Array(png.width * png.height);
  for (let i = 0; i < ids.length; i++) ids[i] = png.data[i * png.channels] as number;
  return { width: png.width, height: png.height, ids };
}

/** Paints the visible classes at full opacity (the canvas's CSS opacity is the slider). */
export function renderLabelMap(map: LabelMap, hidden: ReadonlySet<number>, out: ImageData): void {
  const px = out.data;
  for (let i = 0; i < map.ids.length; i++) {
    const id = map.ids[i] as number;
    const o = i * 4;
    if (id === 0 || hidden.has(id)) {
      px[o + 3] = 0;
      continue;
    }
    const c = CLASS_COLOURS[id] ?? [255, 255, 255];
    px[o] = c[0];
    px[o + 1] = c[1];
    px[o + 2] = c[2];
    px[o + 3] = 255;
  }
}

/** A copy of `set` with `id` flipped (state is replaced, never mutated). */
export function toggled(set: ReadonlySet<number>, id: number): ReadonlySet<number> {
  const next = new Set(set);
  if (!next.delete(id)) next.add(id);
  return next;
}

/** Share of the map per class id. */
export function classShares(ids: Uint8Array | undefined): Map<number, number> {
  const out = new Map<number, number>();
  if (!ids) return out;
  for (const v of ids) out.set(v, (out.get(v) ?? 0) + 1);
  for (const [k, n] of out) out.set(k, n / ids.length);
  return out;
}

export const NO_CLASSES: ReadonlySet<number> = new Set();

export const CLASS_NAMES: readonly string[] = PARSING_CLASSES;
