// The question bank's parser: free text to a taxonomy value, or unparsed (null), per answer format.
import { describe, expect, it } from 'vitest';
import { questionsFor, requestBody, type Question } from '../../../../src/main/mllm/questions';

const all = questionsFor(['celeba', 'gender', 'age', 'expression', 'race'], 'utk');
const q = (key: string, list: Question[] = all): Question => list.find((x) => x.key === key)!;

describe('question bank', () => {
  it('asks 38 CelebA attributes (not Attractive, not Male) plus gender, age, expression and race', () => {
    expect(all).toHaveLength(42);
    expect(all.map((x) => x.key)).not.toContain('Attractive');
    expect(all.map((x) => x.key)).not.toContain('Male');
    expect(new Set(all.map((x) => x.key)).size).toBe(42);
    expect(q('Eyeglasses').text).toBe('Is the person wearing eyeglasses?');
    expect(q('Eyeglasses').template).toBe('celeba.wears@1');
  });

  it('reads yes / no from the first decisive word, and No_Beard with its answer flipped', () => {
    expect(q('Eyeglasses').parse('Yes.')).toBe('1');
    expect(q('Eyeglasses').parse('No, the person is not wearing eyeglasses.')).toBe('-1');
    expect(q('Eyeglasses').parse('{"answer": "yes"}')).toBe('1');
    expect(q('Eyeglasses').parse('```json\n{"answer": "no"}\n```')).toBe('-1');
    expect(q('Eyeglasses').parse('I cannot tell from this image.')).toBeNull();
    expect(q('No_Beard').text).toBe('Does the person have a beard?');
    expect(q('No_Beard').parse('yes')).toBe('-1');
    expect(q('No_Beard').parse('no')).toBe('1');
  });

  it('maps gender, expression and race words to one class, several or none to unparsed', () => {
    expect(q('gender').parse('The person appears to be a woman.')).toBe('Female');
    expect(q('gender').parse('MALE')).toBe('Male');
    expect(q('gender').parse('male or female, hard to say')).toBeNull();
    expect(q('expression').parse('She looks surprised!')).toBe('surprise');
    expect(q('expression').parse('happy or sad')).toBeNull();
    expect(q('race').parse('East Asian')).toBe('Asian');
    expect(q('race').parse('South Asian')).toBe('Indian');
    expect(q('race').parse('Hispanic')).toBe('Others');
    const ff = questionsFor(['race'], 'fairface')[0]!;
    expect(ff.template).toBe('race.fairface@1');
    expect(ff.parse('Southeast Asian')).toBe('Southeast Asian');
    expect(ff.parse('east asian')).toBe('East Asian');
    expect(ff.parse('Latino_Hispanic')).toBe('Latino_Hispanic');
    expect(ff.parse('Asian')).toBeNull();
  });

  it('reads an age as the first number, a range as its middle, and refuses impossible ages', () => {
    expect(q('age').parse('27')).toBe('27');
    expect(q('age').parse('About 30 to 34 years')).toBe('32');
    expect(q('age').parse('25-30')).toBe('28');
    expect(q('age').parse('{"answer": 52}')).toBe('52');
    expect(q('age').parse('around 300')).toBeNull();
    expect(q('age').parse('young adult')).toBeNull();
  });

  it('asks for JSON with a schema when the endpoint supports structured output', () => {
    const body = requestBody(q('gender'), 'm', ['data:image/jpeg;base64,AA=='], true);
    expect(body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { schema: { properties: { answer: { enum: ['male', 'female'] } } } },
    });
    const plain = requestBody(q('gender'), 'm', ['data:image/jpeg;base64,AA=='], false);
    expect(plain.response_format).toBeUndefined();
    expect(JSON.stringify(plain.messages)).toContain('Answer with one word: male or female.');
  });

  it('sends the whole photo after the crop when asked, and says which image is which', () => {
    const body = requestBody(q('gender'), 'm', ['data:a', 'data:b'], false) as {
      messages: { role: string; content: { type: string; text?: string; image_url?: { url: string } }[] }[];
    };
    const parts = body.messages[1]!.content;
    expect(parts.map((p) => p.image_url?.url ?? p.type)).toEqual(['text', 'data:a', 'data:b']);
    expect(parts[0]!.text).toMatch(/^The first image is the face; the second is the whole photo/);
  });
});
