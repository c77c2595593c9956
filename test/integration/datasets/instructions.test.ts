// Instruction JSONL for face MLLMs: verified values only, seeded phrasings, error-rule blocks, face crops.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { openStore, type Store } from '../../../src/main/store/index';
import { importAnnotations } from '../../../src/main/datasets/formats/import';
import { exportDataset } from '../../../src/main/datasets/formats/export';
import { makeCeleba, seedDataset } from '../../helpers/datasets/generate';
import { tempDir } from '../../helpers/fs';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

interface Instruction {
  id: string;
  image: string;
  conversations: { from: 'human' | 'gpt'; value: string }[];
  caption: string;
  source: { image: string; face: number; box: number[] };
  values: Record<string, string>;
}

/** Six CelebA faces: 0 reviewed, 1 human labels only, 2 reviewed but contradictory, 3-5 unreviewed. */
async function setup() {
  const t = tempDir('fi-instr-');
  const store: Store = openStore(join(t.dir, 'db.sqlite'));
  cleanups.push(t.cleanup, () => store.close());
  const fx = await makeCeleba(t.dir, 6);
  const datasetId = await seedDataset(store, fx.root);
  await importAnnotations(store, { datasetId, format: 'celeba', annotations: fx.anno });
  const faces = store.annotations
    .images(datasetId)
    .map((img) => ({ img, face: store.faces.byImage(img.id)[0]! }));
  store.write(() => {
    store.rules.replaceAll([
      {
        key: 'bald-no-bangs',
        severity: 'error',
        text: 'bald-no-bangs: error: Bald -> !Bangs',
        enabled: true,
      },
      { key: 'glasses-rare', severity: 'warning', text: 'glasses-rare: warning: !Eyeglasses', enabled: true },
    ]);
    const [f0, f1, f2, f3] = faces.map((f) => f.face.id) as [number, number, number, number];
    store.faces.setReview(f0, 'reviewed');
    store.labels.setHuman({ faceId: f1, key: 'expression', value: 'happy', actor: 't' });
    store.labels.setHuman({ faceId: f1, key: 'gender', value: 'Female', actor: 't' });
    store.labels.setHuman({ faceId: f1, key: 'age', value: '34', actor: 't' });
    store.faces.setReview(f2, 'reviewed');
    store.labels.setHuman({ faceId: f2, key: 'Bald', value: '1', actor: 't' });
    store.labels.setHuman({ faceId: f2, key: 'Bangs', value: '1', actor: 't' });
    // A prediction on an unreviewed face never becomes a value.
    store.faces.replaceModelOutputs(f3, {
      predictions: [
        {
          modelId: 'emotion',
          modelVersion: '1',
          task: 'expression',
          source: 'model',
          value: { label: 'sad' },
        },
      ],
      mask: null,
      embeddings: [],
    });
  });
  return { dir: t.dir, store, datasetId, fx, faces };
}

function read(out: string): Instruction[] {
  return readFileSync(join(out, 'instructions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Instruction);
}

describe('instruction export', () => {
  it('writes records from verified values only, blocks contradictions and crops each face', async () => {
    const { dir, store, datasetId, faces } = await setup();
    const out = join(dir, 'out');
    const rep = await exportDataset(store, {
      datasetId,
      format: 'instructions',
      out,
      includePredictions: true,
    });
    expect(rep.counts).toEqual({ records: 2, blocked: 1, unverified: 3, crops: 2 });
    expect(rep.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^000003\.jpg face 0: blocked by error rule "bald-no-bangs"/),
    ]);
    const recs = read(out);
    expect(recs.map((r) => r.source.image)).toEqual(['000001.jpg', '000002.jpg']);

    // Face 0 (reviewed): its 40 imported attributes; face 1: only its human labels (imports unreviewed).
    expect(Object.keys(recs[0]!.values)).toHaveLength(40);
    expect(recs[1]!.values).toEqual({ expression: 'happy', gender: 'Female', age: '34' });
    const text1 = recs[1]!.conversations.map((c) => c.value).join(' ');
    expect(text1).toMatch(/between 30 and 39 years old/);
    expect(text1).toMatch(/female/);
    expect(text1).toMatch(/looks happy/);
    expect(text1).not.toMatch(/sad|Smiling|glasses/i);
    expect(recs[1]!.caption).toMatch(
      /^(A photo of|A close-up of|A face crop showing) a woman aged 30 to 39, looking happy\.$/,
    );

    for (const r of recs) {
      const c = r.conversations;
      expect(c[0]!.from).toBe('human');
      expect(c[0]!.value.startsWith('<image>\n')).toBe(true);
      expect(c.filter((t) => t.value.includes('<image>'))).toHaveLength(1);
      expect(c.map((t) => t.from)).toEqual(c.map((_, i) => (i % 2 === 0 ? 'human' : 'gpt')));
      expect(c[1]!.value).toBe(r.caption);
    }
    // A yes/no attribute answer agrees with the stored value.
    const attrTurn = recs[0]!.conversations.findIndex((t) =>
      /wearing a hat\?|on this person\?/.test(t.value),
    );
    if (attrTurn >= 0) expect(recs[0]!.conversations[attrTurn + 1]!.value).toMatch(/^(Yes|No),/);

    const crop = await sharp(join(out, recs[0]!.image)).metadata();
    const box = faces[0]!.face;
    expect([crop.width, crop.height]).toEqual([box.w, box.h]);
    expect(rep.files).toContain('crops/000001_0.jpg');
  });

  it('is reproducible for a seed and varies its phrasings across seeds', async () => {
    const { dir, store, datasetId } = await setup();
    const texts: string[] = [];
    for (const [i, seed] of [7, 7, 8].entries()) {
      const out = join(dir, `out${i}`);
      await exportDataset(store, { datasetId, format: 'instructions', out, seed });
      texts.push(readFileSync(join(out, 'instructions.jsonl'), 'utf8'));
    }
    expect(texts[1]).toBe(texts[0]);
    expect(texts[2]).not.toBe(texts[0]);
    // Same facts whatever the seed: only phrasing and order change.
    const values = (t: string) =>
      t
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).values);
    expect(values(texts[2]!)).toEqual(values(texts[0]!));
  });

  it('exports nothing from an unreviewed import', async () => {
    const t = tempDir('fi-instr-');
    const store = openStore(join(t.dir, 'db.sqlite'));
    cleanups.push(t.cleanup, () => store.close());
    const fx = await makeCeleba(t.dir, 3);
    const datasetId = await seedDataset(store, fx.root);
    await importAnnotations(store, { datasetId, format: 'celeba', annotations: fx.anno });
    const out = join(t.dir, 'out');
    const rep = await exportDataset(store, { datasetId, format: 'instructions', out });
    expect(rep.counts).toEqual({ records: 0, blocked: 0, unverified: 3, crops: 0 });
    expect(readFileSync(join(out, 'instructions.jsonl'), 'utf8')).toBe('');
  });
});
