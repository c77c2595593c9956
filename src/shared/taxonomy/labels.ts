// The label keys the app stores and rules read: CelebA attributes plus gender, age, age_bucket, race, expression.
import { CELEBA_ATTRIBUTES, isCelebaAttribute, type CelebaAttribute, type CelebaValue } from './celeba';
import {
  AGE_BUCKETS,
  GENDERS,
  RACES,
  isAgeBucket,
  isGender,
  isRace,
  type AgeBucket,
  type Gender,
  type Race,
} from './demographics';
import { EXPRESSIONS, isExpression, type Expression } from './expression';

/** Non-binary label fields. `age` is integer years; `age_bucket` a FairFace bucket (derived from `age`). */
export const LABEL_FIELDS = ['gender', 'age', 'age_bucket', 'race', 'expression'] as const;
export type LabelField = (typeof LABEL_FIELDS)[number];

export type LabelKey = CelebaAttribute | LabelField;
export type LabelValue = CelebaValue | Gender | number | AgeBucket | Race | Expression;

/** Every label key: the 40 CelebA attributes in file order, then the fields. */
export const LABEL_KEYS: readonly LabelKey[] = [...CELEBA_ATTRIBUTES, ...LABEL_FIELDS];

export function isLabelField(s: string): s is LabelField {
  return (LABEL_FIELDS as readonly string[]).includes(s);
}
export function isLabelKey(s: string): s is LabelKey {
  return isCelebaAttribute(s) || isLabelField(s);
}

/** Oldest age we accept as a label (years); anything above is a typo. */
export const MAX_AGE = 120;

/** The values a categorical key may take (`age` has none: it is numeric). */
export function labelDomain(key: LabelKey): readonly (string | number)[] | null {
  if (isCelebaAttribute(key)) return [1, -1];
  switch (key) {
    case 'gender':
      return GENDERS;
    case 'age_bucket':
      return AGE_BUCKETS;
    case 'race':
      return RACES;
    case 'expression':
      return EXPRESSIONS;
    case 'age':
      return null;
  }
}

/** Null when `value` is valid for `key`, else what was expected (for an AppError message). */
export function checkLabelValue(key: LabelKey, value: unknown): string | null {
  if (isCelebaAttribute(key)) return value === 1 || value === -1 ? null : 'expected 1 or -1';
  switch (key) {
    case 'age':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_AGE
        ? null
        : `expected an integer age from 0 to ${MAX_AGE}`;
    case 'gender':
      return typeof value === 'string' && isGender(value) ? null : 'expected Male or Female';
    case 'age_bucket':
      return typeof value === 'string' && isAgeBucket(value)
        ? null
        : `expected one of ${AGE_BUCKETS.join(', ')}`;
    case 'race':
      return typeof value === 'string' && isRace(value) ? null : `expected one of ${RACES.join(', ')}`;
    case 'expression':
      return typeof value === 'string' && isExpression(value)
        ? null
        : `expected one of ${EXPRESSIONS.join(', ')}`;
  }
}
