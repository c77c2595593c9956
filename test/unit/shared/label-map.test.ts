// Label-map helpers shared by the review screen and masks.save: run-length round trip, painting, polygon fill.
import { describe, expect, it } from 'vitest';
import { decodeRuns, encodeRuns, fillPolygon, paintLine, type LabelMap } from '../../../src/shared/label-map';
import { AppError } from '../../../src/shared/errors';

const blank = (width: number, height: number): LabelMap => ({
  width,
  height,
  ids: new Uint8Array(width * height),
});

describe('review mask helpers', () => {
  it('run-length encodes a painted map that main decodes to the same ids', () => {
    const map = blank(40, 30);
    paintLine(map, [5, 5], [30, 5], 3, 14);
    fillPolygon(
      map,
      [
        [10, 15],
        [30, 15],
        [20, 28],
      ],
      13,
    );
    const runs = encodeRuns(map.ids);
    expect(runs.length).toBeLessThan(map.ids.length / 4);
    expect(Buffer.from(decodeRuns(runs, 40, 30)).equals(Buffer.from(map.ids))).toBe(true);
  });

  it('paints a continuous stroke and fills a triangle inside its edges only', () => {
    const map = blank(40, 30);
    paintLine(map, [2, 10], [37, 10], 2, 14);
    for (let x = 2; x <= 37; x++) expect(map.ids[10 * 40 + x], `x=${x}`).toBe(14);
    fillPolygon(
      map,
      [
        [0, 0],
        [20, 0],
        [0, 20],
      ],
      13,
    );
    expect(map.ids[2 * 40 + 2]).toBe(13);
    expect(map.ids[18 * 40 + 18]).toBe(0);
  });

  it('refuses runs that name an unknown class or miss pixels', () => {
    expect(() => decodeRuns([19, 4], 2, 2)).toThrow(AppError);
    expect(() => decodeRuns([1, 3], 2, 2)).toThrow(/cover 3 pixels/);
    expect(() => decodeRuns([1, 3, 2], 2, 2)).toThrow(/pairs/);
  });
});
