// Seeded generator of CelebA-like faces that satisfy the default rules, plus known contradictions to inject.
import type { FaceFacts, MaskAreas } from '../../../../src/shared/rules';
import {
  CELEBA_ATTRIBUTES,
  DERIVED_MASK_CLASSES,
  PARSING_CLASSES,
  ageToBucket,
  type Expression,
  type LabelValue,
} from '../../../../src/shared/taxonomy';

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HAIR = ['Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Gray_Hair'] as const;

/** One face whose labels (and mask, when it has one) break none of resources/rules/default.rules. */
export function consistentFace(r: () => number): FaceFacts {
  const v: Record<string, LabelValue> = {};
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const yes = (p: number): 1 | -1 => (r() < p ? 1 : -1);
  for (const a of CELEBA_ATTRIBUTES) v[a] = yes(0.2);
  const male = yes(0.42);
  v.Male = male;
  if (r() < 0.5) v.gender = male === 1 ? 'Male' : 'Female';
  const young = yes(0.75);
  v.Young = young;
  if (r() < 0.7) {
    const age = young === 1 ? 12 + Math.floor(r() * 28) : 40 + Math.floor(r() * 45);
    if (r() < 0.8) v.age = age;
    else v.age_bucket = ageToBucket(age);
  }
  const bald = male === 1 && r() < 0.06;
  v.Bald = bald ? 1 : -1;
  for (const h of HAIR) v[h] = -1;
  v.Bangs = bald ? -1 : yes(0.15);
  v.Straight_Hair = -1;
  v.Wavy_Hair = -1;
  if (!bald) {
    if (r() < 0.75) v[pick(HAIR)] = 1;
    const texture = r();
    if (texture < 0.2) v.Straight_Hair = 1;
    else if (texture < 0.5) v.Wavy_Hair = 1;
  }
  v.Goatee = v.Mustache = v.Sideburns = -1;
  v.No_Beard = 1;
  if (male === 1 && r() < 0.3) {
    v.No_Beard = -1;
    v.Goatee = yes(0.4);
    v.Mustache = yes(0.4);
    v.Sideburns = yes(0.3);
  }
  const smiling = yes(0.48);
  v.Smiling = smiling;
  if (r() < 0.5) {
    const pool: Expression[] =
      smiling === 1
        ? ['happy', 'surprise', 'neutral']
        : ['neutral', 'surprise', 'fear', 'sad', 'angry', 'disgust'];
    v.expression = pick(pool);
  }
  v.Eyeglasses = yes(0.07);
  v.Wearing_Hat = yes(0.05);
  v.Wearing_Earrings = yes(male === 1 ? 0.03 : 0.3);
  v.Wearing_Necklace = yes(0.12);
  v.Mouth_Slightly_Open = yes(0.48);
  const kind = r();
  const span = (lo: number, hi: number) => lo + r() * (hi - lo);
  const fraction: Record<string, number> = {
    skin: span(0.25, 0.4),
    hair: bald ? span(0, 0.05) : span(0.15, 0.35),
    mouth: v.Mouth_Slightly_Open === 1 ? span(0.005, 0.02) : span(0, 0.0005),
    eye_g: v.Eyeglasses === 1 ? span(0.02, 0.05) : 0,
    hat: v.Wearing_Hat === 1 ? span(0.05, 0.2) : 0,
    ear_r: v.Wearing_Earrings === 1 ? span(0.001, 0.003) : 0,
    neck_l: v.Wearing_Necklace === 1 ? span(0.003, 0.01) : 0,
  };
  let areas: MaskAreas | null = null;
  if (kind < 0.5) areas = { source: 'import', classes: PARSING_CLASSES, fraction };
  else if (kind < 0.75) areas = { source: 'derived', classes: DERIVED_MASK_CLASSES, fraction };
  return { values: v, areas };
}

/** An imported mask agreeing with the face's labels, except for `override`. */
function importMask(v: FaceFacts['values'], override: Record<string, number>): MaskAreas {
  const on = (k: string) => v[k] === 1;
  return {
    source: 'import',
    classes: PARSING_CLASSES,
    fraction: {
      skin: 0.3,
      hair: on('Bald') ? 0.02 : 0.2,
      mouth: on('Mouth_Slightly_Open') ? 0.01 : 0,
      eye_g: on('Eyeglasses') ? 0.03 : 0,
      hat: on('Wearing_Hat') ? 0.1 : 0,
      ear_r: on('Wearing_Earrings') ? 0.002 : 0,
      neck_l: on('Wearing_Necklace') ? 0.005 : 0,
      ...override,
    },
  };
}

function makeBald(v: Record<string, LabelValue>): void {
  v.Male = 1;
  if (v.gender !== undefined) v.gender = 'Male';
  v.Bald = 1;
  for (const h of HAIR) v[h] = -1;
  v.Bangs = v.Straight_Hair = v.Wavy_Hair = -1;
}

/** Each injection breaks exactly one default rule on an otherwise consistent face. */
export const INJECTIONS: { rule: string; subject: 'labels' | 'cross'; apply: (f: FaceFacts) => FaceFacts }[] =
  [
    {
      rule: 'one-hair-colour',
      subject: 'labels',
      apply: (f) => ({
        ...f,
        values: { ...f.values, Bald: -1, Black_Hair: 1, Blond_Hair: 1, Brown_Hair: -1, Gray_Hair: -1 },
      }),
    },
    {
      rule: 'straight-or-wavy',
      subject: 'labels',
      apply: (f) => ({ ...f, values: { ...f.values, Bald: -1, Straight_Hair: 1, Wavy_Hair: 1 } }),
    },
    {
      rule: 'bald-no-bangs',
      subject: 'labels',
      apply: (f) => {
        const v = { ...f.values } as Record<string, LabelValue>;
        makeBald(v);
        v.Bangs = 1;
        return { values: v, areas: null };
      },
    },
    {
      rule: 'goatee-has-beard',
      subject: 'labels',
      apply: (f) => ({
        ...f,
        values: {
          ...f.values,
          Male: 1,
          gender: f.values.gender && 'Male',
          No_Beard: 1,
          Goatee: 1,
          Mustache: -1,
          Sideburns: -1,
        },
      }),
    },
    {
      rule: 'mustache-has-beard',
      subject: 'labels',
      apply: (f) => ({
        ...f,
        values: {
          ...f.values,
          Male: 1,
          gender: f.values.gender && 'Male',
          No_Beard: 1,
          Goatee: -1,
          Mustache: 1,
          Sideburns: -1,
        },
      }),
    },
    {
      rule: 'male-gender',
      subject: 'labels',
      apply: (f) => ({ ...f, values: { ...f.values, gender: f.values.Male === 1 ? 'Female' : 'Male' } }),
    },
    {
      rule: 'young-not-over-50',
      subject: 'labels',
      apply: (f) => ({ ...f, values: { ...f.values, age: 63, age_bucket: undefined, Young: 1 } }),
    },
    {
      rule: 'young-not-40s',
      subject: 'labels',
      apply: (f) => ({ ...f, values: { ...f.values, age: undefined, age_bucket: '40-49', Young: 1 } }),
    },
    {
      rule: 'happy-smiling',
      subject: 'labels',
      apply: (f) => ({ ...f, values: { ...f.values, expression: 'happy', Smiling: -1 } }),
    },
    {
      rule: 'glasses-seen',
      subject: 'cross',
      apply: (f) => {
        const values = { ...f.values, Eyeglasses: 1 as const };
        return { values, areas: importMask(values, { eye_g: 0 }) };
      },
    },
    {
      rule: 'hat-seen',
      subject: 'cross',
      apply: (f) => {
        const values = { ...f.values, Wearing_Hat: 1 as const };
        return { values, areas: importMask(values, { hat: 0.002 }) };
      },
    },
    {
      rule: 'bald-little-hair',
      subject: 'cross',
      apply: (f) => {
        const v = { ...f.values } as Record<string, LabelValue>;
        makeBald(v);
        return { values: v, areas: importMask(v, { hair: 0.3 }) };
      },
    },
  ];

/** `count` faces; every `every`-th gets the next injection in turn. Returns faces and what was injected where. */
export function celebaLikeTable(count: number, seed: number, every = 0) {
  const r = rng(seed);
  const faces: FaceFacts[] = [];
  const injected: { face: number; rule: string; subject: string }[] = [];
  for (let i = 0; i < count; i++) {
    let f = consistentFace(r);
    if (every > 0 && i % every === every - 1) {
      const inj = INJECTIONS[injected.length % INJECTIONS.length]!;
      f = inj.apply(f);
      injected.push({ face: i, rule: inj.rule, subject: inj.subject });
    }
    faces.push(f);
  }
  return { faces, injected };
}
