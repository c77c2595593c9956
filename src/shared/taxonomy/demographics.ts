// Age, gender and race vocabularies of FairFace and UTKFace, and the (documented, lossy) mappings between them.

/** FairFace age buckets; the canonical spelling of the last one is `70+` (FairFace's CSVs write `more than 70`). */
export const AGE_BUCKETS = [
  '0-2',
  '3-9',
  '10-19',
  '20-29',
  '30-39',
  '40-49',
  '50-59',
  '60-69',
  '70+',
] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

/** Inclusive year range of each bucket; `70+` is open-ended. */
export const AGE_BUCKET_RANGES: Readonly<Record<AgeBucket, readonly [number, number]>> = {
  '0-2': [0, 2],
  '3-9': [3, 9],
  '10-19': [10, 19],
  '20-29': [20, 29],
  '30-39': [30, 39],
  '40-49': [40, 49],
  '50-59': [50, 59],
  '60-69': [60, 69],
  '70+': [70, Number.POSITIVE_INFINITY],
};

/** The spelling FairFace's label CSVs use for the open bucket. */
export const FAIRFACE_OPEN_BUCKET = 'more than 70';

export function isAgeBucket(s: string): s is AgeBucket {
  return (AGE_BUCKETS as readonly string[]).includes(s);
}

/** Canonical bucket for a FairFace CSV cell (`more than 70` -> `70+`), or null. */
export function parseAgeBucket(raw: string): AgeBucket | null {
  const t = raw.trim();
  if (t === FAIRFACE_OPEN_BUCKET) return '70+';
  return isAgeBucket(t) ? t : null;
}

/** FairFace CSV spelling of a canonical bucket. */
export function ageBucketToFairFace(bucket: AgeBucket): string {
  return bucket === '70+' ? FAIRFACE_OPEN_BUCKET : bucket;
}

/** The bucket holding an age in years (fractions are floored: 2.9 years is still `0-2`). */
export function ageToBucket(years: number): AgeBucket {
  const y = Math.floor(years);
  for (const b of AGE_BUCKETS) if (y <= AGE_BUCKET_RANGES[b][1]) return b;
  return '70+';
}

export const GENDERS = ['Male', 'Female'] as const;
export type Gender = (typeof GENDERS)[number];

export function isGender(s: string): s is Gender {
  return s === 'Male' || s === 'Female';
}

/** UTKFace file names encode gender as 0 = male, 1 = female. */
export function genderFromUtk(code: number): Gender | null {
  return code === 0 ? 'Male' : code === 1 ? 'Female' : null;
}
export function genderToUtk(g: Gender): 0 | 1 {
  return g === 'Male' ? 0 : 1;
}

/** FairFace's 7 races, spelled as in fairface_label_*.csv. */
export const FAIRFACE_RACES = [
  'White',
  'Black',
  'Latino_Hispanic',
  'East Asian',
  'Southeast Asian',
  'Indian',
  'Middle Eastern',
] as const;
export type FairFaceRace = (typeof FAIRFACE_RACES)[number];

/** UTKFace's 5 races in file-name code order (0 White, 1 Black, 2 Asian, 3 Indian, 4 Others). */
export const UTK_RACES = ['White', 'Black', 'Asian', 'Indian', 'Others'] as const;
export type UtkRace = (typeof UTK_RACES)[number];

/** Any race name a label or prediction may carry (White, Black and Indian are shared by both sets). */
export type Race = FairFaceRace | UtkRace;
export const RACES: readonly Race[] = [...FAIRFACE_RACES, 'Asian', 'Others'];

export function isFairFaceRace(s: string): s is FairFaceRace {
  return (FAIRFACE_RACES as readonly string[]).includes(s);
}
export function isUtkRace(s: string): s is UtkRace {
  return (UTK_RACES as readonly string[]).includes(s);
}
export function isRace(s: string): s is Race {
  return isFairFaceRace(s) || isUtkRace(s);
}

export function raceFromUtk(code: number): UtkRace | null {
  return UTK_RACES[code] ?? null;
}
export function raceToUtkCode(r: UtkRace): number {
  return UTK_RACES.indexOf(r);
}

/**
 * FairFace -> UTKFace is many-to-one and exact in that direction: the two Asian groups become `Asian`;
 * Latino_Hispanic and Middle Eastern become `Others` (UTKFace describes Others as "Hispanic, Latino, Middle
 * Eastern" and more).
 */
export const FAIRFACE_TO_UTK: Readonly<Record<FairFaceRace, UtkRace>> = {
  White: 'White',
  Black: 'Black',
  Latino_Hispanic: 'Others',
  'East Asian': 'Asian',
  'Southeast Asian': 'Asian',
  Indian: 'Indian',
  'Middle Eastern': 'Others',
};

/**
 * UTKFace -> FairFace is lossy: a UTK name stands for a set of FairFace races, and only a one-element set
 * converts to a single FairFace label. Rules compare races through these sets, so `race == "East Asian"` on a
 * face labelled UTK `Asian` is unknown, not false.
 */
export const UTK_TO_FAIRFACE: Readonly<Record<UtkRace, readonly FairFaceRace[]>> = {
  White: ['White'],
  Black: ['Black'],
  Asian: ['East Asian', 'Southeast Asian'],
  Indian: ['Indian'],
  Others: ['Latino_Hispanic', 'Middle Eastern'],
};

/** The FairFace races a race name may stand for (one for a FairFace name, one or two for a UTK name). */
export function fairFaceRacesOf(r: Race): readonly FairFaceRace[] {
  return isFairFaceRace(r) ? [r] : UTK_TO_FAIRFACE[r];
}

/** Bit i set = FairFace race i possible; rules use this to compare races three-valued. */
export function raceMask(r: Race): number {
  let m = 0;
  for (const f of fairFaceRacesOf(r)) m |= 1 << FAIRFACE_RACES.indexOf(f);
  return m;
}

/** The single FairFace race a UTK name converts to, or null where the mapping is ambiguous (Asian, Others). */
export function utkToFairFace(r: UtkRace): FairFaceRace | null {
  const set = UTK_TO_FAIRFACE[r];
  return set.length === 1 ? (set[0] ?? null) : null;
}

export function fairFaceToUtk(r: FairFaceRace): UtkRace {
  return FAIRFACE_TO_UTK[r];
}
