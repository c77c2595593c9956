// Compiles rule expressions once into closures over a fixed slot layout (Kleene three-valued: F=0, U=1, T=2).
import {
  AGE_BUCKET_RANGES,
  CELEBA_ATTRIBUTES,
  EXPRESSIONS,
  PARSING_CLASSES,
  ageToBucket,
  celebaAttributeIndex,
  isAgeBucket,
  isExpression,
  isRace,
  parsingClassId,
  raceMask,
  type LabelValue,
} from '../taxonomy';
import type { CmpOp, Expr } from './ast';

/** Three-valued truth: min is AND, max is OR, 2 - x is NOT (Kleene's strong logic). */
export type Truth = 0 | 1 | 2;
export const F: Truth = 0;
export const U: Truth = 1;
export const T: Truth = 2;

/** Where a fact lives in the encoded Float64Array. Unknown is NaN (race: mask 0). */
export const SLOT = {
  /** 0..39: CelebA attributes in file order, +1 / -1. */
  attr0: 0,
  /** 0 Male, 1 Female. */
  gender: 40,
  /** Age interval in years: exact from `age`, else the range of `age_bucket`. */
  ageLo: 41,
  ageHi: 42,
  /** Bucket interval: the labelled `age_bucket`, else the bucket of `age`. */
  bucketLo: 43,
  bucketHi: 44,
  /** Index into EXPRESSIONS. */
  expression: 45,
  /** Bit mask over FAIRFACE_RACES of what the race name may stand for; 0 = unknown. */
  race: 46,
  /** 47..65: area fraction per canonical parsing class. */
  area0: 47,
} as const;
export const SLOT_COUNT = SLOT.area0 + PARSING_CLASSES.length;

/** The parsing map a face has: which classes its source can express, and each class's share of the face. */
export interface MaskAreas {
  source: 'derived' | 'model' | 'import' | 'human';
  /** Classes this map can express; any other class's area is unknown (not zero). */
  classes: readonly string[];
  /** Fraction of the face region per class; an expressible class missing here has area 0. */
  fraction: Readonly<Record<string, number>>;
}

/** What the evaluator knows about one face from one source (or merged sources). */
export interface FaceFacts {
  values: Readonly<Partial<Record<string, LabelValue>>>;
  areas?: MaskAreas | null;
  /** Probability that each value is right (predictions); ranks suggested fixes by cost. */
  confidence?: Readonly<Partial<Record<string, number>>>;
}

/** Writes a face's facts into `out` (reused across faces in a batch). */
export function encodeFacts(
  facts: FaceFacts,
  out: Float64Array = new Float64Array(SLOT_COUNT),
): Float64Array {
  const v = facts.values;
  for (let i = 0; i < CELEBA_ATTRIBUTES.length; i++) {
    const x = v[CELEBA_ATTRIBUTES[i]!];
    out[i] = x === 1 || x === -1 ? x : NaN;
  }
  const g = v.gender;
  out[SLOT.gender] = g === 'Male' ? 0 : g === 'Female' ? 1 : NaN;
  const age = v.age;
  const bucket = v.age_bucket;
  const years = typeof age === 'number' && Number.isFinite(age) ? age : NaN;
  const labelled = typeof bucket === 'string' && isAgeBucket(bucket) ? AGE_BUCKET_RANGES[bucket] : null;
  const derived = Number.isNaN(years) ? null : AGE_BUCKET_RANGES[ageToBucket(years)];
  out[SLOT.ageLo] = Number.isNaN(years) ? (labelled ? labelled[0] : NaN) : years;
  out[SLOT.ageHi] = Number.isNaN(years) ? (labelled ? labelled[1] : NaN) : years;
  const b = labelled ?? derived;
  out[SLOT.bucketLo] = b ? b[0] : NaN;
  out[SLOT.bucketHi] = b ? b[1] : NaN;
  const e = v.expression;
  out[SLOT.expression] = typeof e === 'string' && isExpression(e) ? EXPRESSIONS.indexOf(e) : NaN;
  const r = v.race;
  out[SLOT.race] = typeof r === 'string' && isRace(r) ? raceMask(r) : 0;
  encodeAreas(facts.areas ?? null, out);
  return out;
}

// Maps usually share one `classes` array (e.g. DERIVED_MASK_CLASSES), so its class ids are resolved once.
const classIdCache = new WeakMap<readonly string[], Int32Array>();

/** Writes the area slots only: NaN for classes the map cannot express, else the fraction (absent = 0). */
export function encodeAreas(a: MaskAreas | null, out: Float64Array): void {
  for (let i = 0; i < PARSING_CLASSES.length; i++) out[SLOT.area0 + i] = NaN;
  if (!a) return;
  let ids = classIdCache.get(a.classes);
  if (!ids) {
    ids = Int32Array.from(a.classes, parsingClassId);
    classIdCache.set(a.classes, ids);
  }
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    if (id >= 0) out[SLOT.area0 + id] = a.fraction[PARSING_CLASSES[id]!] ?? 0;
  }
}

/**
 * Labels over predictions, slot by slot, as mergeFacts does key by key: age and age_bucket travel together
 * (a labelled bucket is not overridden by a predicted age).
 */
export function mergeSlots(l: Float64Array, p: Float64Array, out: Float64Array): void {
  for (let i = 0; i < SLOT.ageLo; i++) out[i] = Number.isNaN(l[i]!) ? p[i]! : l[i]!;
  const age = Number.isNaN(l[SLOT.ageLo]!) ? p : l;
  for (let i = SLOT.ageLo; i <= SLOT.bucketHi; i++) out[i] = age[i]!;
  out[SLOT.expression] = Number.isNaN(l[SLOT.expression]!) ? p[SLOT.expression]! : l[SLOT.expression]!;
  out[SLOT.race] = l[SLOT.race] === 0 ? p[SLOT.race]! : l[SLOT.race]!;
}

const AGE_KEYS = ['age', 'age_bucket'];

/** The key-by-key merge mergeSlots mirrors: labels win; a labelled age or bucket keeps both age keys. */
export function mergeFacts(
  labels: FaceFacts | null,
  preds: FaceFacts | null,
  areas: MaskAreas | null,
): FaceFacts {
  const values: Record<string, LabelValue> = {};
  const lv = labels?.values ?? {};
  const labelAge = lv.age !== undefined || lv.age_bucket !== undefined;
  const pv = preds?.values ?? {};
  for (const k in pv) if (pv[k] !== undefined && !(labelAge && AGE_KEYS.includes(k))) values[k] = pv[k];
  for (const k in lv) if (lv[k] !== undefined) values[k] = lv[k];
  return { values, confidence: preds?.confidence ?? {}, areas };
}

export type Compiled = (s: Float64Array) => Truth;

/** Three-valued comparison of an unknown-or-interval quantity [lo, hi] with a constant. */
function interval(op: CmpOp, lo: number, hi: number, c: number): Truth {
  if (Number.isNaN(lo)) return U;
  switch (op) {
    case '>=':
      return lo >= c ? T : hi < c ? F : U;
    case '>':
      return lo > c ? T : hi <= c ? F : U;
    case '<=':
      return hi <= c ? T : lo > c ? F : U;
    case '<':
      return hi < c ? T : lo >= c ? F : U;
    case '==':
      return lo === c && hi === c ? T : c < lo || c > hi ? F : U;
    case '!=':
      return lo === c && hi === c ? F : c < lo || c > hi ? T : U;
  }
}

/** Bucket interval [lo, hi] against bucket [tl, th]: buckets never overlap, so whole-bucket logic is exact. */
function bucketCmp(op: CmpOp, lo: number, hi: number, tl: number, th: number): Truth {
  if (Number.isNaN(lo)) return U;
  switch (op) {
    case '==':
      return lo >= tl && hi <= th ? T : hi < tl || lo > th ? F : U;
    case '!=':
      return lo >= tl && hi <= th ? F : hi < tl || lo > th ? T : U;
    case '<':
      return hi < tl ? T : lo >= tl ? F : U;
    case '<=':
      return hi <= th ? T : lo > th ? F : U;
    case '>':
      return lo > th ? T : hi <= th ? F : U;
    case '>=':
      return lo >= tl ? T : hi < tl ? F : U;
  }
}

function eq(x: number, c: number, negate: boolean): Truth {
  if (Number.isNaN(x)) return U;
  return (x === c) !== negate ? T : F;
}

export function compileExpr(e: Expr): Compiled {
  switch (e.kind) {
    case 'attr': {
      const i = SLOT.attr0 + celebaAttributeIndex(e.name);
      return (s) => {
        const x = s[i]!;
        return x === 1 ? T : x === -1 ? F : U;
      };
    }
    case 'not': {
      const a = compileExpr(e.arg);
      return (s) => (2 - a(s)) as Truth;
    }
    case 'and': {
      const a = compileExpr(e.left);
      const b = compileExpr(e.right);
      return (s) => {
        const x = a(s);
        return x === F ? F : (Math.min(x, b(s)) as Truth);
      };
    }
    case 'or': {
      const a = compileExpr(e.left);
      const b = compileExpr(e.right);
      return (s) => {
        const x = a(s);
        return x === T ? T : (Math.max(x, b(s)) as Truth);
      };
    }
    case 'implies': {
      const a = compileExpr(e.left);
      const b = compileExpr(e.right);
      return (s) => {
        const x = a(s);
        return x === F ? T : (Math.max(2 - x, b(s)) as Truth);
      };
    }
    case 'iff': {
      const a = compileExpr(e.left);
      const b = compileExpr(e.right);
      return (s) => {
        const x = a(s);
        const y = b(s);
        return x === U || y === U ? U : x === y ? T : F;
      };
    }
    case 'count': {
      const args = e.args.map(compileExpr);
      const exactly = e.fn === 'exactly1';
      return (s) => {
        let t = 0;
        let u = 0;
        for (const f of args) {
          const x = f(s);
          if (x === T) t++;
          else if (x === U) u++;
        }
        if (t >= 2) return F;
        if (exactly) return t === 1 && u === 0 ? T : t + u === 0 ? F : U;
        return t + u <= 1 ? T : U;
      };
    }
    case 'area': {
      const i = SLOT.area0 + parsingClassId(e.cls);
      const { op, value } = e;
      return (s) => {
        const x = s[i]!;
        return interval(op, x, x, value);
      };
    }
    case 'cmp':
      switch (e.field) {
        case 'gender': {
          const c = e.value === 'Male' ? 0 : 1;
          const neg = e.op === '!=';
          return (s) => eq(s[SLOT.gender]!, c, neg);
        }
        case 'expression': {
          const c = EXPRESSIONS.indexOf(e.value);
          const neg = e.op === '!=';
          return (s) => eq(s[SLOT.expression]!, c, neg);
        }
        case 'race': {
          const t = raceMask(e.value);
          const neg = e.op === '!=';
          return (s) => {
            const m = s[SLOT.race]!;
            if (m === 0) return U;
            // The name's possible FairFace races inside the target's: true; none shared: false; else unknown.
            const r: Truth = (m & ~t) === 0 ? T : (m & t) === 0 ? F : U;
            return neg ? ((2 - r) as Truth) : r;
          };
        }
        case 'age': {
          const { op, value } = e;
          return (s) => interval(op, s[SLOT.ageLo]!, s[SLOT.ageHi]!, value);
        }
        case 'age_bucket': {
          const [tl, th] = AGE_BUCKET_RANGES[e.value];
          const op = e.op;
          return (s) => bucketCmp(op, s[SLOT.bucketLo]!, s[SLOT.bucketHi]!, tl, th);
        }
      }
  }
}
