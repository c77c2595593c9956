// The face-api builder refuses what it cannot build with the model, the weight and what it expected.
import { describe, expect, it } from 'vitest';
import { convertTfjsModel, type TfjsModelJson } from '../../../../../src/main/models/convert';

const manifestOf = (weights: TfjsModelJson['weightsManifest'][number]['weights']): TfjsModelJson => ({
  format: 'face-api-weights-manifest',
  modelTopology: { node: [] },
  weightsManifest: [{ paths: ['x.bin'], weights }],
});

describe('face-api conversion', () => {
  it('names the missing weight', () => {
    const json = manifestOf([{ name: 'fc/bias', shape: [7], dtype: 'float32' }]);
    expect(() =>
      convertTfjsModel({
        name: 'face_expression_model-weights_manifest',
        json,
        weightData: new Uint8Array(28),
      }),
    ).toThrow(
      'Model "face_expression_model": weight "dense0/conv0/filters" is missing, face-api\'s net needs rank 4',
    );
  });

  it('names a weight of the wrong rank', () => {
    const json = manifestOf([{ name: 'dense0/conv0/filters', shape: [3, 3, 3], dtype: 'float32' }]);
    expect(() =>
      convertTfjsModel({
        name: 'face_expression_model-weights_manifest',
        json,
        weightData: new Uint8Array(108),
      }),
    ).toThrow('weight "dense0/conv0/filters" is rank 3, face-api\'s net needs rank 4');
  });

  it('refuses a face-api net it has no architecture for, listing the ones it has', () => {
    const json = manifestOf([]);
    expect(() =>
      convertTfjsModel({
        name: 'face_landmark_68_model-weights_manifest',
        json,
        weightData: new Uint8Array(0),
      }),
    ).toThrow(
      'no face-api architecture for "face_landmark_68_model" (known: age_gender_model, face_expression_model)',
    );
  });
});
