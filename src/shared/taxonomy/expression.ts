// The basic-7 expression vocabulary and the RAF-DB (ids 1-7) and ExpW (ids 0-6) codes for it.

/** Canonical order (RAF-DB's order, lower case). */
export const EXPRESSIONS = ['surprise', 'fear', 'disgust', 'happy', 'sad', 'angry', 'neutral'] as const;
export type Expression = (typeof EXPRESSIONS)[number];

export function isExpression(s: string): s is Expression {
  return (EXPRESSIONS as readonly string[]).includes(s);
}

/** RAF-DB basic: 1 Surprise, 2 Fear, 3 Disgust, 4 Happiness, 5 Sadness, 6 Anger, 7 Neutral. */
export const RAFDB_EXPRESSIONS: Readonly<Record<number, Expression>> = {
  1: 'surprise',
  2: 'fear',
  3: 'disgust',
  4: 'happy',
  5: 'sad',
  6: 'angry',
  7: 'neutral',
};

/** ExpW: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral (also the emotion model's order). */
export const EXPW_EXPRESSIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;

export function expressionFromRafdb(id: number): Expression | null {
  return RAFDB_EXPRESSIONS[id] ?? null;
}
export function expressionToRafdb(e: Expression): number {
  return EXPRESSIONS.indexOf(e) + 1;
}
export function expressionFromExpw(id: number): Expression | null {
  return EXPW_EXPRESSIONS[id] ?? null;
}
export function expressionToExpw(e: Expression): number {
  return EXPW_EXPRESSIONS.indexOf(e);
}
