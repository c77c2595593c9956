// Which models serve age / gender and expression: face-api's by default, Human's when asked or when face-api's
// are not registered, and a clear error naming the variable and the choices for anything else.
import { describe, expect, it } from 'vitest';
import { headModels } from '../../../../src/main/analysis/heads';

const all = () => true;

describe('headModels', () => {
  it("defaults to face-api's nets when they are registered", () => {
    expect(headModels(all, {}, {})).toEqual({
      ageGender: 'faceapi-agegender',
      expression: 'faceapi-expression',
      mobilefacenet: false,
    });
    expect(headModels(all, { mobilefacenet: true }, {}).mobilefacenet).toBe(true);
  });

  it("falls back to Human's heads when face-api's are not registered", () => {
    const human = (id: string) => !id.startsWith('faceapi-');
    expect(headModels(human, {}, {})).toMatchObject({ ageGender: 'faceres', expression: 'emotion' });
  });

  it('takes the environment, and an explicit option over it', () => {
    const env = { FACEINSIGHT_AGE_GENDER_MODEL: 'faceres', FACEINSIGHT_EXPRESSION_MODEL: 'emotion' };
    expect(headModels(all, {}, env)).toMatchObject({ ageGender: 'faceres', expression: 'emotion' });
    expect(headModels(all, { expression: 'faceapi-expression' }, env)).toMatchObject({
      ageGender: 'faceres',
      expression: 'faceapi-expression',
    });
    // An empty variable counts as unset.
    expect(headModels(all, {}, { FACEINSIGHT_EXPRESSION_MODEL: '' }).expression).toBe('faceapi-expression');
  });

  it('refuses an unknown model, naming the variable and the choices', () => {
    expect(() => headModels(all, {}, { FACEINSIGHT_AGE_GENDER_MODEL: 'gear' })).toThrow(
      'FACEINSIGHT_AGE_GENDER_MODEL: "gear" is not one of faceapi-agegender, faceres',
    );
  });
});
