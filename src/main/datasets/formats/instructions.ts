// Instruction data for face MLLMs: LLaVA-style JSONL, one record per face crop, from verified values only.
import { join } from 'node:path';
import sharp from 'sharp';
import { RuleSet, effectiveLabels, parseRules, type LabelRow } from '../../../shared/rules';
import {
  AGE_BUCKET_RANGES,
  ageToBucket,
  isAgeBucket,
  isCelebaAttribute,
  type AgeBucket,
  type CelebaAttribute,
} from '../../../shared/taxonomy';
import type { ExportFace, OutputFile, WriteContext } from './types';
import { labelFromText } from '../../constraints/index';
import { keyedSeed, mulberry32 } from '../../../shared/numeric';

export const INSTRUCTIONS_FILE = 'instructions.jsonl';
export const CROPS_DIR = 'crops';

export type Kind = 'has' | 'is' | 'wears' | 'photo' | 'mouth';
type Asked = { kind: Kind; phrase: string; invert?: boolean };
/**
 * How each CelebA attribute is asked about. `Attractive` is left out: a judgement of looks is not a fact to
 * teach a model; `Male` feeds the gender question; `No_Beard` is asked as "a beard" with its answer flipped.
 */
export const ATTRIBUTES: Partial<Record<CelebaAttribute, Asked>> = {
  '5_o_Clock_Shadow': { kind: 'has', phrase: "a five o'clock shadow" },
  Arched_Eyebrows: { kind: 'has', phrase: 'arched eyebrows' },
  Bags_Under_Eyes: { kind: 'has', phrase: 'bags under the eyes' },
  Bald: { kind: 'is', phrase: 'bald' },
  Bangs: { kind: 'has', phrase: 'bangs' },
  Big_Lips: { kind: 'has', phrase: 'big lips' },
  Big_Nose: { kind: 'has', phrase: 'a big nose' },
  Black_Hair: { kind: 'has', phrase: 'black hair' },
  Blond_Hair: { kind: 'has', phrase: 'blond hair' },
  Blurry: { kind: 'photo', phrase: 'blurry' },
  Brown_Hair: { kind: 'has', phrase: 'brown hair' },
  Bushy_Eyebrows: { kind: 'has', phrase: 'bushy eyebrows' },
  Chubby: { kind: 'is', phrase: 'chubby' },
  Double_Chin: { kind: 'has', phrase: 'a double chin' },
  Eyeglasses: { kind: 'wears', phrase: 'eyeglasses' },
  Goatee: { kind: 'has', phrase: 'a goatee' },
  Gray_Hair: { kind: 'has', phrase: 'gray hair' },
  Heavy_Makeup: { kind: 'wears', phrase: 'heavy makeup' },
  High_Cheekbones: { kind: 'has', phrase: 'high cheekbones' },
  Mouth_Slightly_Open: { kind: 'mouth', phrase: 'slightly open' },
  Mustache: { kind: 'has', phrase: 'a mustache' },
  Narrow_Eyes: { kind: 'has', phrase: 'narrow eyes' },
  No_Beard: { kind: 'has', phrase: 'a beard', invert: true },
  Oval_Face: { kind: 'has', phrase: 'an oval face' },
  Pale_Skin: { kind: 'has', phrase: 'pale skin' },
  Pointy_Nose: { kind: 'has', phrase: 'a pointy nose' },
  Receding_Hairline: { kind: 'has', phrase: 'a receding hairline' },
  Rosy_Cheeks: { kind: 'has', phrase: 'rosy cheeks' },
  Sideburns: { kind: 'has', phrase: 'sideburns' },
  Smiling: { kind: 'is', phrase: 'smiling' },
  Straight_Hair: { kind: 'has', phrase: 'straight hair' },
  Wavy_Hair: { kind: 'has', phrase: 'wavy hair' },
  Wearing_Earrings: { kind: 'wears', phrase: 'earrings' },
  Wearing_Hat: { kind: 'wears', phrase: 'a hat' },
  Wearing_Lipstick: { kind: 'wears', phrase: 'lipstick' },
  Wearing_Necklace: { kind: 'wears', phrase: 'a necklace' },
  Wearing_Necktie: { kind: 'wears', phrase: 'a necktie' },
  Young: { kind: 'is', phrase: 'young' },
};

const QUESTIONS: Record<Kind, readonly string[]> = {
  has: ['Does the person have {p}?', 'Can you see {p} on this face?', 'Does this person have {p}?'],
  is: ['Is the person {p}?', 'Would you describe this person as {p}?', 'Does the person look {p}?'],
  wears: ['Is the person wearing {p}?', 'Does this person wear {p}?', 'Is there {p} on this person?'],
  photo: ['Is this photo {p}?', 'Is the image {p}?'],
  mouth: ["Is the person's mouth {p}?", 'Does this person have their mouth {p}?'],
};
const ANSWERS: Record<Kind, readonly [string, string]> = {
  has: ['Yes, the person has {p}.', 'No, the person does not have {p}.'],
  is: ['Yes, the person is {p}.', 'No, the person is not {p}.'],
  wears: ['Yes, the person is wearing {p}.', 'No, the person is not wearing {p}.'],
  photo: ['Yes, the photo is {p}.', 'No, the photo is not {p}.'],
  mouth: ['Yes, the mouth is {p}.', 'No, the mouth is not {p}.'],
};
const AGE_Q = [
  'How old does the person look?',
  'What is the approximate age of this person?',
  "Estimate the person's age range.",
];
const GENDER_Q = [
  'What is the gender of the person?',
  'Is this person male or female?',
  'What gender does this person appear to be?',
];
const RACE_Q = ["What is the person's race?", 'Which racial group does this person appear to belong to?'];
const EXPRESSION_Q = [
  'What facial expression does the person show?',
  "Describe the person's facial expression.",
  'How does this person look, judging by their face?',
];
const DESCRIBE_Q = [
  'Describe this face.',
  'Give a short description of the person in this image.',
  'What can you tell about this person from their face?',
];
const CAPTION_OPENINGS = ['A photo of', 'A close-up of', 'A face crop showing'];
const RACE_WORDS: Record<string, string> = {
  White: 'White',
  Black: 'Black',
  Latino_Hispanic: 'Latino or Hispanic',
  'East Asian': 'East Asian',
  'Southeast Asian': 'Southeast Asian',
  Indian: 'Indian',
  'Middle Eastern': 'Middle Eastern',
  Asian: 'Asian',
  Others: 'of a race other than White, Black, Asian or Indian',
};
const EXPRESSION_WORDS: Record<string, string> = {
  surprise: 'surprised',
  fear: 'afraid',
  disgust: 'disgusted',
  happy: 'happy',
  sad: 'sad',
  angry: 'angry',
  neutral: 'neutral',
};

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

function shuffle<T>(r: () => number, list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [list[i], list[j]] = [list[j] as T, list[i] as T];
  }
  return list;
}

/**
 * The values a face's human labels give, plus its imported labels when the face is `reviewed` (someone looked
 * at them); predictions never count. Human wins key by key.
 */
export function verifiedValues(f: ExportFace): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.review === 'reviewed') for (const l of f.labels) if (l.source === 'import') out[l.key] = l.value;
  for (const l of f.labels) if (l.source === 'human') out[l.key] = l.value;
  return out;
}

function ageBucketOf(v: Record<string, string>): AgeBucket | null {
  if (v.age_bucket !== undefined && isAgeBucket(v.age_bucket)) return v.age_bucket;
  if (v.age !== undefined && /^\d+$/.test(v.age)) return ageToBucket(Number(v.age));
  return null;
}

function ageWords(b: AgeBucket): string {
  const [lo, hi] = AGE_BUCKET_RANGES[b];
  return b === '70+' ? '70 years or older' : `between ${lo} and ${hi} years old`;
}

function genderOf(v: Record<string, string>): 'Male' | 'Female' | null {
  if (v.gender === 'Male' || v.gender === 'Female') return v.gender;
  if (v.Male === '1') return 'Male';
  if (v.Male === '-1') return 'Female';
  return null;
}

function fill(t: string, p: string): string {
  return t.replaceAll('{p}', p);
}

/** "a, b and c" */
function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function caption(r: () => number, v: Record<string, string>): string {
  const gender = genderOf(v);
  const bucket = ageBucketOf(v);
  const child = bucket !== null && AGE_BUCKET_RANGES[bucket][1] < 20;
  const noun =
    gender === null
      ? child
        ? 'child'
        : 'person'
      : child
        ? gender === 'Male'
          ? 'boy'
          : 'girl'
        : gender === 'Male'
          ? 'man'
          : 'woman';
  let s = `${pick(r, CAPTION_OPENINGS)} ${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
  if (bucket) s += ` aged ${bucket === '70+' ? '70 or over' : bucket.replace('-', ' to ')}`;
  const parts: string[] = [];
  if (v.race && RACE_WORDS[v.race]) parts.push(RACE_WORDS[v.race] as string);
  const has: string[] = [];
  const wears: string[] = [];
  const is: string[] = [];
  for (const [a, spec] of Object.entries(ATTRIBUTES)) {
    const val = v[a];
    if (!spec || val === undefined || spec.kind === 'photo' || spec.kind === 'mouth') continue;
    const positive = spec.invert ? val === '-1' : val === '1';
    if (!positive) continue;
    (spec.kind === 'has' ? has : spec.kind === 'wears' ? wears : is).push(spec.phrase);
  }
  if (has.length) parts.push(`with ${list(has)}`);
  if (wears.length) parts.push(`wearing ${list(wears)}`);
  const mood = v.expression ? EXPRESSION_WORDS[v.expression] : undefined;
  const looks = [
    ...is,
    ...(mood ? [mood === 'neutral' ? 'with a neutral expression' : `looking ${mood}`] : []),
  ];
  if (looks.length) parts.push(list(looks));
  if (parts.length) s += `, ${parts.join(', ')}`;
  if (v.Blurry === '1') s += ' (blurry photo)';
  return `${s}.`;
}

interface Turn {
  q: string;
  a: string;
}

/** Question-answer pairs over the verified values: each topic once, four attributes at most, seeded order. */
function turns(r: () => number, v: Record<string, string>): Turn[] {
  const out: Turn[] = [];
  const bucket = ageBucketOf(v);
  if (bucket) out.push({ q: pick(r, AGE_Q), a: `The person appears to be ${ageWords(bucket)}.` });
  const gender = genderOf(v);
  if (gender)
    out.push({
      q: pick(r, GENDER_Q),
      a: `The person appears to be ${gender === 'Male' ? 'male' : 'female'}.`,
    });
  if (v.race && RACE_WORDS[v.race])
    out.push({ q: pick(r, RACE_Q), a: `The person appears to be ${RACE_WORDS[v.race]}.` });
  const mood = v.expression ? EXPRESSION_WORDS[v.expression] : undefined;
  if (mood)
    out.push({
      q: pick(r, EXPRESSION_Q),
      a: mood === 'neutral' ? 'The person has a neutral expression.' : `The person looks ${mood}.`,
    });
  const attrs = shuffle(
    r,
    Object.keys(ATTRIBUTES).filter((a) => isCelebaAttribute(a) && (v[a] === '1' || v[a] === '-1')),
  ).slice(0, 4);
  for (const a of attrs) {
    const spec = ATTRIBUTES[a as CelebaAttribute]!;
    const yes = (v[a] === '1') !== (spec.invert === true);
    out.push({
      q: fill(pick(r, QUESTIONS[spec.kind]), spec.phrase),
      a: fill(ANSWERS[spec.kind][yes ? 0 : 1], spec.phrase),
    });
  }
  return shuffle(r, out);
}

function cropName(f: ExportFace): string {
  return `${CROPS_DIR}/${f.relPath.replace(/\.[^./]+$/, '')}_${f.idx}.jpg`;
}

/** The face box clamped to the image, in whole pixels (null when nothing of it is inside). */
function cropBox(f: ExportFace): { left: number; top: number; width: number; height: number } | null {
  const W = f.width ?? Infinity;
  const H = f.height ?? Infinity;
  const left = Math.max(0, Math.floor(f.box.x));
  const top = Math.max(0, Math.floor(f.box.y));
  const right = Math.min(W, Math.ceil(f.box.x + f.box.w));
  const bottom = Math.min(H, Math.ceil(f.box.y + f.box.h));
  return right > left && bottom > top ? { left, top, width: right - left, height: bottom - top } : null;
}

/**
 * instructions.jsonl (LLaVA `conversations` layout: `<image>` in the first human turn, `human` / `gpt` turns)
 * plus crops/<image>_<idx>.jpg. Faces whose verified values break an `error` rule are blocked and listed.
 */
export async function instructionFiles(
  ctx: WriteContext,
  opts: { seed: number; rules: readonly { key: string; severity: string; text: string }[] },
): Promise<{ files: OutputFile[]; counts: Record<string, number> }> {
  const errorRules = opts.rules.filter((r) => r.severity === 'error');
  // Stored rules past today's parser limits are left out, as in the ConstraintEngine.
  const set =
    errorRules.length > 0 ? new RuleSet(parseRules(errorRules.map((r) => r.text).join('\n')).rules) : null;
  const records: string[] = [];
  const crops: OutputFile[] = [];
  let blocked = 0;
  let unverified = 0;
  for (const f of ctx.faces) {
    const v = verifiedValues(f);
    if (Object.keys(v).length === 0) {
      unverified++;
      continue;
    }
    if (set) {
      const rows: LabelRow[] = Object.entries(v).map(([key, value]) => ({
        key,
        source: 'human',
        value: labelFromText(key, value),
      }));
      const broken = set.evaluateFace({ labels: effectiveLabels(rows) }, { fixes: false });
      if (broken.length > 0) {
        blocked++;
        for (const b of broken)
          ctx.problems.warn(
            INSTRUCTIONS_FILE,
            0,
            b.ruleId,
            `${f.relPath} face ${f.idx}: blocked by error rule "${b.ruleId}": ${b.explanation}`,
          );
        continue;
      }
    }
    const box = cropBox(f);
    if (!box) {
      ctx.problems.warn(
        INSTRUCTIONS_FILE,
        0,
        undefined,
        `${f.relPath} face ${f.idx}: box lies outside the image; left out`,
      );
      continue;
    }
    // Seeded per face, so one face's text never depends on the others.
    const r = mulberry32(keyedSeed(opts.seed, `${f.relPath}#${f.idx}`));
    const cap = caption(r, v);
    const qa = [{ q: pick(r, DESCRIBE_Q), a: cap }, ...turns(r, v)];
    const image = cropName(f);
    const conversations = qa.flatMap((t, i) => [
      { from: 'human', value: i === 0 ? `<image>\n${t.q}` : t.q },
      { from: 'gpt', value: t.a },
    ]);
    records.push(
      JSON.stringify({
        id: `${f.relPath}#${f.idx}`,
        image,
        conversations,
        caption: cap,
        source: { image: f.relPath, face: f.idx, box: [f.box.x, f.box.y, f.box.w, f.box.h] },
        values: v,
      }),
    );
    const file = join(ctx.root, f.relPath);
    crops.push({
      name: image,
      bytes: () => sharp(file).rotate().extract(box).jpeg({ quality: 92 }).toBuffer(),
    });
  }
  const files: OutputFile[] = [{ name: INSTRUCTIONS_FILE, lines: () => records }, ...crops];
  return { files, counts: { records: records.length, blocked, unverified, crops: crops.length } };
}
