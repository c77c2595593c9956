// The MLLM question bank (issue #31): one fixed question per label key with a strict answer format, and the
// parser that maps a model's free text to a taxonomy value or to "unparsed" (the raw text is kept elsewhere).
import type { MllmTask } from '../../shared/api';
import {
  CELEBA_ATTRIBUTES,
  EXPRESSIONS,
  FAIRFACE_RACES,
  MAX_AGE,
  UTK_RACES,
  type CelebaAttribute,
} from '../../shared/taxonomy';
import { ATTRIBUTES, type Kind } from '../datasets/formats/instructions';

/**
 * Bumped whenever a question's text, format or parsing changes: it is part of every template id (`…@N`) and so
 * of the cache key, and old answers stay attributed to the wording that produced them.
 */
export const QUESTION_BANK_VERSION = 1;

/** Which race vocabulary a dataset's labels use (UTKFace's 5 or FairFace's 7). */
export type RaceSet = 'utk' | 'fairface';

export interface Question {
  /** The label key the answer is compared with. */
  key: string;
  task: MllmTask;
  /** Template id with the bank's version, e.g. `celeba.wears@1`. */
  template: string;
  /** The question, asked about the attached face crop. */
  text: string;
  /** Allowed answers (JSON schema enum, and the one-word instruction); null: an integer (age). */
  choices: readonly string[] | null;
  /** Free text → taxonomy value as text (`1` / `-1`, `Male`, years, …), or null = unparsed. */
  parse(raw: string): string | null;
}

const SYSTEM =
  'You are a careful annotator of face photos. Look only at the face in the image and answer exactly in the requested format, with no explanation.';

/** Yes / no words (first one found decides); anything else is not an answer. */
const YES = new Set(['yes', 'yeah', 'yep', 'true']);
const NO = new Set(['no', 'nope', 'false']);

function tokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/** The `answer` field of a JSON reply (also inside a ```json fence); otherwise the text itself. */
export function answerText(raw: string): string {
  const t = raw
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/```$/, '')
    .trim();
  if (t.startsWith('{')) {
    try {
      const v = (JSON.parse(t) as { answer?: unknown }).answer;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    } catch {
      // Not JSON after all (a brace in prose): parse the words instead.
    }
  }
  return t;
}

function parseYesNo(raw: string, invert: boolean): string | null {
  for (const w of tokens(answerText(raw))) {
    if (YES.has(w)) return invert ? '-1' : '1';
    if (NO.has(w)) return invert ? '1' : '-1';
  }
  return null;
}

/** Exactly one class named (by any of its words): that class; none or several: unparsed. */
function oneOf(raw: string, words: Readonly<Record<string, readonly string[]>>): string | null {
  const text = ` ${tokens(answerText(raw)).join(' ')} `;
  const found = Object.entries(words)
    .filter(([, ws]) => ws.some((w) => text.includes(` ${w} `)))
    .map(([cls]) => cls);
  return found.length === 1 ? found[0]! : null;
}

const GENDER_WORDS = {
  Male: ['male', 'man', 'men', 'boy', 'masculine'],
  Female: ['female', 'woman', 'women', 'girl', 'feminine', 'lady'],
};

const EXPRESSION_WORDS: Record<string, readonly string[]> = {
  surprise: ['surprise', 'surprised', 'astonished', 'shocked', 'amazed'],
  fear: ['fear', 'afraid', 'scared', 'fearful', 'frightened'],
  disgust: ['disgust', 'disgusted', 'revolted'],
  happy: ['happy', 'happiness', 'joy', 'joyful', 'smiling', 'cheerful'],
  sad: ['sad', 'sadness', 'unhappy', 'sorrowful'],
  angry: ['angry', 'anger', 'mad', 'furious'],
  neutral: ['neutral', 'calm', 'expressionless', 'blank'],
};

// FairFace's two Asian groups are named by two words; "east asian" inside "southeast asian" is told apart
// because tokens keep "southeast" whole ("south east asian" is listed as its own phrase).
const FAIRFACE_WORDS: Record<string, readonly string[]> = {
  White: ['white', 'caucasian'],
  Black: ['black', 'african'],
  Latino_Hispanic: ['latino', 'latina', 'hispanic', 'latino hispanic'],
  'East Asian': ['east asian'],
  'Southeast Asian': ['southeast asian', 'south east asian'],
  Indian: ['indian', 'south asian'],
  'Middle Eastern': ['middle eastern', 'arab'],
};
const UTK_WORDS: Record<string, readonly string[]> = {
  White: ['white', 'caucasian'],
  Black: ['black', 'african'],
  Asian: ['asian', 'east asian', 'southeast asian'],
  Indian: ['indian', 'south asian'],
  Others: ['others', 'other', 'latino', 'hispanic', 'middle eastern'],
};

function parseRace(raw: string, set: RaceSet): string | null {
  const text = ` ${tokens(answerText(raw)).join(' ')} `;
  if (set === 'fairface') {
    // "south east asian" must not also count as "east asian", nor "south asian" as Indian.
    const se = /\bsouth ?east asian\b/.test(text);
    const rest = text.replace(/ south ?east asian /g, ' ');
    const found = Object.entries(FAIRFACE_WORDS)
      .filter(([cls, ws]) => (cls === 'Southeast Asian' ? se : ws.some((w) => rest.includes(` ${w} `))))
      .map(([cls]) => cls);
    return found.length === 1 ? found[0]! : null;
  }
  // UTKFace files South Asians under Indian: "south asian" must not also read as Asian.
  return oneOf(text.replace(/ south asian /g, ' indian '), UTK_WORDS);
}

/** The first number (a range "25-30" gives its middle), rounded, within 0..MAX_AGE. */
function parseAge(raw: string): string | null {
  const m = /(\d+(?:\.\d+)?)(?:\s*(?:-|–|to)\s*(\d+(?:\.\d+)?))?/.exec(answerText(raw));
  if (!m) return null;
  const a = Number(m[1]);
  const years = m[2] !== undefined ? (a + Number(m[2])) / 2 : a;
  return Number.isFinite(years) && years >= 0 && years <= MAX_AGE ? String(Math.round(years)) : null;
}

const ASK: Record<Kind, string> = {
  has: 'Does the person have {p}?',
  is: 'Is the person {p}?',
  wears: 'Is the person wearing {p}?',
  photo: 'Is this photo {p}?',
  mouth: "Is the person's mouth {p}?",
};

const v = `@${QUESTION_BANK_VERSION}`;

function celebaQuestions(): Question[] {
  return CELEBA_ATTRIBUTES.flatMap((key: CelebaAttribute) => {
    const spec = ATTRIBUTES[key];
    if (!spec) return [];
    const invert = spec.invert === true;
    return [
      {
        key,
        task: 'celeba' as const,
        template: `celeba.${spec.kind}${invert ? '.inverted' : ''}${v}`,
        text: ASK[spec.kind].replace('{p}', spec.phrase),
        choices: ['yes', 'no'],
        parse: (raw: string) => parseYesNo(raw, invert),
      },
    ];
  });
}

/** The questions of the given tasks, in task order (CelebA in file order; `Attractive` and `Male` not asked). */
export function questionsFor(tasks: readonly MllmTask[], raceSet: RaceSet): Question[] {
  const out: Question[] = [];
  for (const task of tasks) {
    if (task === 'celeba') out.push(...celebaQuestions());
    if (task === 'gender')
      out.push({
        key: 'gender',
        task,
        template: `gender${v}`,
        text: 'Is this person male or female?',
        choices: ['male', 'female'],
        parse: (raw) => oneOf(raw, GENDER_WORDS),
      });
    if (task === 'age')
      out.push({
        key: 'age',
        task,
        template: `age${v}`,
        text: 'How old does the person look, in years?',
        choices: null,
        parse: parseAge,
      });
    if (task === 'expression')
      out.push({
        key: 'expression',
        task,
        template: `expression${v}`,
        text: 'Which facial expression does the person show?',
        choices: EXPRESSIONS,
        parse: (raw) => oneOf(raw, EXPRESSION_WORDS),
      });
    if (task === 'race') {
      const choices = raceSet === 'fairface' ? FAIRFACE_RACES : UTK_RACES;
      out.push({
        key: 'race',
        task,
        template: `race.${raceSet}${v}`,
        text: 'Which racial group does this person appear to belong to?',
        choices,
        parse: (raw) => parseRace(raw, raceSet),
      });
    }
  }
  return out;
}

/** The chat-completions body of one question about one image (a data URL). */
export function requestBody(
  q: Question,
  model: string,
  imageUrls: readonly string[],
  structured: boolean,
): Record<string, unknown> {
  // With the whole photo after the crop, the model is told which is which.
  const images =
    imageUrls.length > 1
      ? 'The first image is the face; the second is the whole photo with that face in a red box. '
      : '';
  const format = structured
    ? q.choices
      ? `Reply in JSON as {"answer": one of ${q.choices.map((c) => `"${c}"`).join(', ')}}.`
      : 'Reply in JSON as {"answer": <age in years as an integer>}.'
    : q.choices
      ? `Answer with one word: ${q.choices.join(' or ')}.`
      : 'Answer with one number: the age in years.';
  const body: Record<string, unknown> = {
    model,
    temperature: 0,
    messages: [
      { role: 'system', content: SYSTEM },
      {
        role: 'user',
        content: [
          { type: 'text', text: `${images}${q.text} ${format}` },
          ...imageUrls.map((url) => ({ type: 'image_url', image_url: { url } })),
        ],
      },
    ],
  };
  if (structured) {
    const answer = q.choices
      ? { type: 'string', enum: q.choices }
      : { type: 'integer', minimum: 0, maximum: MAX_AGE };
    body.response_format = {
      type: 'json_schema',
      json_schema: {
        name: 'answer',
        strict: true,
        schema: {
          type: 'object',
          properties: { answer },
          required: ['answer'],
          additionalProperties: false,
        },
      },
    };
  }
  return body;
}
