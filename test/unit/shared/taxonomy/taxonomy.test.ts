// Canonical vocabularies and the per-dataset mappings: spellings, orders, round trips, documented losses.
import { describe, expect, it } from 'vitest';
import {
  AGE_BUCKETS,
  BISENET_CLASSES,
  BISENET_TO_CANONICAL,
  CANONICAL_TO_BISENET,
  CELEBA_ATTRIBUTES,
  DERIVED_MASK_CLASSES,
  EXPRESSIONS,
  FAIRFACE_RACES,
  LABEL_KEYS,
  PARSING_CLASSES,
  UTK_RACES,
  ageBucketToFairFace,
  ageToBucket,
  celebaAttributeIndex,
  checkLabelValue,
  classIndexToCanonical,
  expressionFromExpw,
  expressionFromRafdb,
  expressionToExpw,
  expressionToRafdb,
  fairFaceToUtk,
  genderFromUtk,
  genderToUtk,
  parseAgeBucket,
  parseCelebaValue,
  raceFromUtk,
  raceMask,
  remapLabelMap,
  utkToFairFace,
} from '../../../../src/shared/taxonomy';

describe('CelebA', () => {
  it('has the 40 attributes of list_attr_celeba.txt in file order', () => {
    expect(CELEBA_ATTRIBUTES).toHaveLength(40);
    expect(new Set(CELEBA_ATTRIBUTES).size).toBe(40);
    expect(CELEBA_ATTRIBUTES[0]).toBe('5_o_Clock_Shadow');
    expect(celebaAttributeIndex('Male')).toBe(20);
    expect(CELEBA_ATTRIBUTES[39]).toBe('Young');
    expect(celebaAttributeIndex('male')).toBe(-1);
    expect([parseCelebaValue(' 1'), parseCelebaValue('-1'), parseCelebaValue('0')]).toEqual([1, -1, null]);
  });
});

describe('FairFace and UTKFace', () => {
  it('maps ages to buckets at every boundary and reads the CSV spelling of 70+', () => {
    expect([0, 2, 3, 9, 10, 19, 20, 69, 70, 110].map(ageToBucket)).toEqual([
      '0-2',
      '0-2',
      '3-9',
      '3-9',
      '10-19',
      '10-19',
      '20-29',
      '60-69',
      '70+',
      '70+',
    ]);
    expect(ageToBucket(2.9)).toBe('0-2');
    expect(parseAgeBucket('more than 70')).toBe('70+');
    expect(ageBucketToFairFace('70+')).toBe('more than 70');
    expect(parseAgeBucket('30-39')).toBe('30-39');
    expect(parseAgeBucket('30-40')).toBeNull();
    expect(AGE_BUCKETS).toHaveLength(9);
  });

  it('spells the seven FairFace races as its CSVs do', () => {
    expect(FAIRFACE_RACES).toEqual([
      'White',
      'Black',
      'Latino_Hispanic',
      'East Asian',
      'Southeast Asian',
      'Indian',
      'Middle Eastern',
    ]);
  });

  it('reads UTKFace codes and maps races lossily both ways', () => {
    expect(UTK_RACES.map((_, i) => raceFromUtk(i))).toEqual(['White', 'Black', 'Asian', 'Indian', 'Others']);
    expect(raceFromUtk(5)).toBeNull();
    expect([genderFromUtk(0), genderFromUtk(1), genderFromUtk(2)]).toEqual(['Male', 'Female', null]);
    expect(genderToUtk('Female')).toBe(1);
    // FairFace -> UTK is a function; UTK -> FairFace is only defined where one race remains.
    for (const r of FAIRFACE_RACES) {
      const back = utkToFairFace(fairFaceToUtk(r));
      if (back !== null) expect(back).toBe(r);
    }
    expect(utkToFairFace('Asian')).toBeNull();
    expect(utkToFairFace('Others')).toBeNull();
    expect(utkToFairFace('Indian')).toBe('Indian');
    expect(raceMask('Asian')).toBe(raceMask('East Asian') | raceMask('Southeast Asian'));
    expect(raceMask('Others')).toBe(raceMask('Latino_Hispanic') | raceMask('Middle Eastern'));
  });
});

describe('expressions', () => {
  it('maps RAF-DB ids 1-7 and ExpW ids 0-6 onto the basic 7 and back', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(expressionFromRafdb)).toEqual([...EXPRESSIONS]);
    expect([0, 1, 2, 3, 4, 5, 6].map(expressionFromExpw)).toEqual([
      'angry',
      'disgust',
      'fear',
      'happy',
      'sad',
      'surprise',
      'neutral',
    ]);
    for (const e of EXPRESSIONS) {
      expect(expressionFromRafdb(expressionToRafdb(e))).toBe(e);
      expect(expressionFromExpw(expressionToExpw(e))).toBe(e);
    }
    expect(expressionFromRafdb(0)).toBeNull();
    expect(expressionFromExpw(7)).toBeNull();
  });
});

describe('parsing classes', () => {
  it('uses CelebAMask-HQ order as canonical ids and maps BiSeNet channels both ways', () => {
    expect(PARSING_CLASSES).toHaveLength(19);
    expect(new Set(BISENET_CLASSES)).toEqual(new Set(PARSING_CLASSES));
    expect(BISENET_TO_CANONICAL[2]).toBe(PARSING_CLASSES.indexOf('l_brow'));
    expect(BISENET_TO_CANONICAL[17]).toBe(PARSING_CLASSES.indexOf('hair'));
    for (let i = 0; i < 19; i++) {
      expect(PARSING_CLASSES[BISENET_TO_CANONICAL[i]!]).toBe(BISENET_CLASSES[i]);
      expect(CANONICAL_TO_BISENET[BISENET_TO_CANONICAL[i]!]).toBe(i);
    }
    expect([...remapLabelMap(Uint8Array.from([0, 6, 17, 18]), BISENET_TO_CANONICAL)]).toEqual([0, 3, 13, 14]);
  });

  it('refuses a model class that is not canonical, naming it', () => {
    expect(() => classIndexToCanonical(['background', 'glasses'])).toThrow(
      '"glasses" is not a CelebAMask-HQ parsing class',
    );
  });

  it('lists what derived maps can express', () => {
    expect(DERIVED_MASK_CLASSES).not.toContain('eye_g');
    expect(DERIVED_MASK_CLASSES).toContain('hair');
  });
});

describe('label keys', () => {
  it('validates values per key', () => {
    expect(LABEL_KEYS).toHaveLength(45);
    expect(checkLabelValue('Bald', 1)).toBeNull();
    expect(checkLabelValue('Bald', 0)).toBe('expected 1 or -1');
    expect(checkLabelValue('age', 34)).toBeNull();
    expect(checkLabelValue('age', 34.5)).toBe('expected an integer age from 0 to 120');
    expect(checkLabelValue('gender', 'male')).toBe('expected Male or Female');
    expect(checkLabelValue('race', 'Asian')).toBeNull();
    expect(checkLabelValue('age_bucket', '70+')).toBeNull();
    expect(checkLabelValue('expression', 'Happy')).toMatch(/^expected one of surprise/);
  });
});
