// Generic-file label cells, split names, class-mask merging order and mask areas.
import { describe, expect, it } from 'vitest';
import { normaliseLabel, normaliseSplit } from '../../../../src/main/datasets/formats/values';
import { classFileName, mapAreas, mergeClassMasks } from '../../../../src/main/datasets/formats/masks';

describe('normaliseLabel', () => {
  it.each([
    ['Smiling', '1', '1'],
    ['Smiling', ' -1 ', '-1'],
    ['Smiling', '0', '-1'],
    ['Eyeglasses', 'TRUE', '1'],
    ['Eyeglasses', 'no', '-1'],
    ['gender', 'female', 'Female'],
    ['race', 'east asian', 'East Asian'],
    ['race', 'Others', 'Others'],
    ['expression', 'Happy', 'happy'],
    ['age', '034', '34'],
    ['age_bucket', 'more than 70', '70+'],
  ] as const)('reads %s "%s" as "%s"', (key, raw, want) => {
    expect(normaliseLabel(key, raw)).toEqual({ value: want });
  });

  it.each([
    ['Smiling', '2', /expected 1 or -1/],
    ['age', '121', /from 0 to 120/],
    ['age', '3.5', /integer age/],
    ['gender', 'M', /Male or Female/],
    ['expression', 'joy', /expected one of surprise/],
    ['age_bucket', '25', /expected one of 0-2/],
  ] as const)('refuses %s "%s"', (key, raw, message) => {
    const r = normaliseLabel(key, raw);
    expect('error' in r && r.error).toMatch(message);
  });

  it('reads split names', () => {
    expect(['train', 'Valid', 'validation', 'TEST', 'dev'].map(normaliseSplit)).toEqual([
      'train',
      'val',
      'val',
      'test',
      null,
    ]);
  });
});

describe('class masks', () => {
  it('paints classes in canonical order whatever order they come in: the later class wins', () => {
    const skin = Uint8Array.from([255, 255, 255, 0]);
    const hair = Uint8Array.from([0, 255, 0, 0]);
    const hat = Uint8Array.from([0, 255, 255, 0]);
    const ids = mergeClassMasks(2, 2, [
      { classId: 14, ids: hat },
      { classId: 1, ids: skin },
      { classId: 13, ids: hair },
    ]);
    expect([...ids]).toEqual([1, 14, 14, 0]);
  });

  it('gives every class an area, zero for absent ones, summing to one', () => {
    const a = mapAreas(Uint8Array.from([0, 1, 1, 13]));
    expect(a.classes).toHaveLength(19);
    expect(a.fraction).toMatchObject({ background: 0.25, skin: 0.5, hair: 0.25, hat: 0 });
    expect(Object.values(a.fraction).reduce((x, y) => x + y, 0)).toBe(1);
  });

  it('names class files as the release does', () => {
    expect(classFileName(0, 'skin')).toBe('CelebAMask-HQ-mask-anno/0/00000_skin.png');
    expect(classFileName(29999, 'l_eye')).toBe('CelebAMask-HQ-mask-anno/14/29999_l_eye.png');
  });
});
