// Mask PNG export (label maps + CelebAMask-HQ per-class layout) and CelebAMask-HQ import, on generated layouts.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { AppError } from '../../../src/shared/errors';
import { PARSING_CLASSES } from '../../../src/shared/taxonomy';
import { openStore, type Store } from '../../../src/main/store/index';
import { importAnnotations } from '../../../src/main/datasets/formats/import';
import { exportDataset } from '../../../src/main/datasets/formats/export';
import {
  MASK_REGIONS,
  greyPng,
  labelMap,
  makeCelebaMaskHq,
  seedDataset,
  writeImage,
} from '../../helpers/datasets/generate';
import { tempDir } from '../../helpers/fs';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(): { dir: string; store: Store } {
  const t = tempDir('fi-masks-');
  const store = openStore(join(t.dir, 'db.sqlite'));
  cleanups.push(t.cleanup, () => store.close());
  return { dir: t.dir, store };
}

async function pixels(file: string | Buffer): Promise<{ width: number; height: number; px: Uint8Array }> {
  const { data, info } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, px: new Uint8Array(data) };
}

function facesOf(store: Store, datasetId: number) {
  return store.images
    .page({ datasetId, limit: 1000 })
    .items.flatMap((i) => store.faces.byImage(i.id).map((f) => ({ ...f, relPath: i.relPath })));
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

/** Images 0.jpg..n-1.jpg (CelebA-HQ names), one whole-image face each with an import mask and a human one. */
async function maskedDataset(dir: string, store: Store, n = 2, size = 32) {
  const root = join(dir, 'imgs');
  for (let i = 0; i < n; i++) await writeImage(join(root, `${i}.jpg`), i, size * 2);
  const datasetId = await seedDataset(store, root);
  const images = store.annotations.images(datasetId);
  const human = images.map((_, i) => labelMap(size, i));
  const imported = images.map((_, i) => labelMap(size, i + 3));
  const box = { x: 0, y: 0, w: size * 2, h: size * 2 };
  const pngs = await Promise.all([...human, ...imported].map((m) => greyPng(size, m)));
  const derived = await greyPng(size, labelMap(size, 5));
  store.write(() => {
    images.forEach((img, i) => {
      const faceId = store.annotations.insertFace(img.id, box);
      store.faces.replaceModelOutputs(faceId, {
        predictions: [],
        mask: { source: 'derived', png: derived, box, areas: null },
        embeddings: [],
      });
      store.faces.addMask(faceId, { source: 'import', png: pngs[n + i]!, box, areas: null });
      // Two human versions: the newer one is the face's mask.
      store.faces.addMask(faceId, { source: 'human', png: derived, box, areas: null });
      store.faces.addMask(faceId, { source: 'human', png: pngs[i]!, box, areas: null });
    });
  });
  return { root, datasetId, human, box };
}

describe('mask export', () => {
  it('writes the best mask per face as a label map, per-class files and an index', async () => {
    const { dir, store } = setup();
    const { datasetId, human, box } = await maskedDataset(dir, store);
    const out = join(dir, 'out');
    const rep = await exportDataset(store, { datasetId, format: 'masks', out });
    const present = MASK_REGIONS.map((r) => r.cls);
    expect(rep.files).toContain('masks/0_0.png');
    expect(rep.files).toContain('CelebAMask-HQ-mask-anno/0/00001_hair.png');
    expect(rep.files.at(-1)).toBe('provenance.json');

    const map0 = await pixels(join(out, 'masks', '0_0.png'));
    expect(map0.width).toBe(32);
    expect(map0.px).toEqual(human[0]);
    const meta = await sharp(join(out, 'masks', '1_0.png')).metadata();
    expect(meta.channels).toBe(1);

    // Per class: 255 exactly where the label map holds the class, and no file for absent classes.
    for (const cls of present) {
      const id = PARSING_CLASSES.indexOf(cls as (typeof PARSING_CLASSES)[number]);
      const f = await pixels(join(out, 'CelebAMask-HQ-mask-anno', '0', `00001_${cls}.png`));
      expect(f.px).toEqual(Uint8Array.from(human[1]!, (v) => (v === id ? 255 : 0)));
    }
    expect(existsSync(join(out, 'CelebAMask-HQ-mask-anno', '0', '00001_hat.png'))).toBe(false);

    const index = JSON.parse(readFileSync(join(out, 'masks.json'), 'utf8'));
    expect(index.classes).toEqual([...PARSING_CLASSES]);
    expect(index.faces[0]).toMatchObject({
      image: '0.jpg',
      file: 'masks/0_0.png',
      number: 0,
      source: 'human',
      version: 2,
      box,
      size: [32, 32],
      classes: present,
    });
  });

  it('label map -> PNG -> CelebAMask-HQ import gives identical pixels', async () => {
    const { dir, store } = setup();
    const { root, datasetId, human } = await maskedDataset(dir, store, 3);
    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'masks', out });

    // A second database over the same images reads the exported per-class layout back.
    const other = openStore(join(dir, 'other.sqlite'));
    cleanups.push(() => other.close());
    const otherId = await seedDataset(other, root);
    const rep = await importAnnotations(other, {
      datasetId: otherId,
      format: 'celebamask-hq',
      annotations: out,
    });
    expect(rep).toMatchObject({ faces: 3, created: 3, masks: 3, skipped: 0 });
    for (const f of facesOf(other, otherId)) {
      const [m] = other.faces.masks(f.id);
      expect(m).toMatchObject({ source: 'import', version: 1, box: { x: 0, y: 0, w: 64, h: 64 } });
      const i = Number(f.relPath.replace('.jpg', ''));
      expect((await pixels(m!.png)).px).toEqual(human[i]);
    }
  });

  it('numbers faces by export position when images are not named by number, and warns about unmasked faces', async () => {
    const { dir, store } = setup();
    const root = join(dir, 'imgs');
    await writeImage(join(root, 'a', 'x.jpg'), 0, 64);
    await writeImage(join(root, 'b.jpg'), 1, 64);
    const datasetId = await seedDataset(store, root);
    const png = await greyPng(32, labelMap(32));
    store.write(() => {
      for (const img of store.annotations.images(datasetId)) {
        const faceId = store.annotations.insertFace(img.id, { x: 0, y: 0, w: 64, h: 64 });
        if (img.relPath === 'a/x.jpg')
          store.faces.addMask(faceId, {
            source: 'human',
            png,
            box: { x: 0, y: 0, w: 64, h: 64 },
            areas: null,
          });
      }
    });
    const out = join(dir, 'out');
    const rep = await exportDataset(store, { datasetId, format: 'masks', out });
    expect(rep.files).toContain('masks/a/x_0.png');
    expect(rep.files).toContain('CelebAMask-HQ-mask-anno/0/00000_skin.png');
    expect(rep.warnings[0]?.message).toMatch(/1 face\(s\) have no mask/);
  });
});

describe('CelebAMask-HQ import', () => {
  it('merges per-class masks into one label map (later classes win), with areas and attributes', async () => {
    const { dir, store } = setup();
    const fx = await makeCelebaMaskHq(dir, 3);
    const datasetId = await seedDataset(store, fx.root);
    const rep = await importAnnotations(store, { datasetId, format: 'celebamask-hq', annotations: fx.base });
    expect(rep).toMatchObject({ faces: 3, created: 3, labels: 120, masks: 3, skipped: 0, warningCount: 0 });
    expect(rep.files.map((f) => f.split('/').at(-1))).toEqual([
      'CelebAMask-HQ-attribute-anno.txt',
      'CelebAMask-HQ-mask-anno',
    ]);
    for (const f of facesOf(store, datasetId)) {
      const i = Number(f.relPath.replace('.jpg', ''));
      expect(f).toMatchObject({ x: 0, y: 0, w: 64, h: 64, source: 'imported' });
      const masks = store.faces.masks(f.id);
      expect(masks).toHaveLength(1);
      const m = masks[0]!;
      const px = await pixels(m.png);
      expect(px.width).toBe(32);
      expect(px.px).toEqual(fx.maps[i]);
      // Hair's rectangle covers skin's top rows: those pixels are hair.
      expect(px.px[Math.floor(0.25 * 32) * 32 + 16]).toBe(13);
      expect(m.areas?.classes).toEqual([...PARSING_CLASSES]);
      const hair = fx.maps[i]!.filter((v) => v === 13).length / (32 * 32);
      expect(m.areas?.fraction.hair).toBeCloseTo(hair, 10);
      expect(m.areas?.fraction.hat).toBe(0);
      expect(Object.values(m.areas!.fraction).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    }
    const face0 = facesOf(store, datasetId).find((f) => f.relPath === '0.jpg')!;
    expect(store.labels.forFace(face0.id).find((l) => l.key === 'Black_Hair')).toMatchObject({
      source: 'import',
      value: '1',
    });

    // A re-import of unchanged masks adds no mask version.
    const again = await importAnnotations(store, {
      datasetId,
      format: 'celebamask-hq',
      annotations: fx.base,
    });
    expect(again).toMatchObject({ created: 0, updated: 3, masks: 0 });
    expect(store.faces.masks(face0.id)).toHaveLength(1);
  });

  it('exports its attribute file byte for byte and the per-class masks back', async () => {
    const { dir, store } = setup();
    const fx = await makeCelebaMaskHq(dir, 2);
    const datasetId = await seedDataset(store, fx.root);
    await importAnnotations(store, { datasetId, format: 'celebamask-hq', annotations: fx.base });
    const out = join(dir, 'out');
    const rep = await exportDataset(store, { datasetId, format: 'celebamask-hq', out });
    expect(readFileSync(join(out, 'CelebAMask-HQ-attribute-anno.txt'), 'utf8')).toBe(
      readFileSync(join(fx.base, 'CelebAMask-HQ-attribute-anno.txt'), 'utf8'),
    );
    expect(rep.files.filter((f) => f.startsWith('CelebAMask-HQ-mask-anno/'))).toHaveLength(
      2 * MASK_REGIONS.length,
    );
    // Hair's file is its visible part: where a later class does not cover it.
    const hair = await pixels(join(out, 'CelebAMask-HQ-mask-anno', '0', '00001_hair.png'));
    expect(hair.px).toEqual(Uint8Array.from(fx.maps[1]!, (v) => (v === 13 ? 255 : 0)));
  });

  it('refuses an unknown class name and masks of different sizes, naming the file', async () => {
    const { dir, store } = setup();
    const fx = await makeCelebaMaskHq(dir, 2);
    const datasetId = await seedDataset(store, fx.root);
    const annoDir = join(fx.base, 'CelebAMask-HQ-mask-anno', '0');
    renameSync(join(annoDir, '00000_hair.png'), join(annoDir, '00000_hiar.png'));
    let err = await refusal(
      importAnnotations(store, { datasetId, format: 'celebamask-hq', annotations: fx.base }),
    );
    expect(err.message).toMatch(
      /00000_hiar\.png:0: field "hiar": unknown mask class \(did you mean "hair"\?\)/,
    );
    renameSync(join(annoDir, '00000_hiar.png'), join(annoDir, '00000_hair.png'));

    await sharp(Buffer.alloc(16 * 16), { raw: { width: 16, height: 16, channels: 1 } })
      .png()
      .toFile(join(annoDir, '00001_hat.png'));
    err = await refusal(
      importAnnotations(store, { datasetId, format: 'celebamask-hq', annotations: fx.base }),
    );
    expect(err.message).toMatch(/00001_(hat|skin)\.png.*mask is (16x16|32x32), the image's other masks are/);
    expect(store.faces.masks(1)).toEqual([]);
    expect(facesOf(store, datasetId)).toEqual([]);
  });

  it('skips masks of images not in the folder with a warning', async () => {
    const { dir, store } = setup();
    const fx = await makeCelebaMaskHq(dir, 2);
    writeFileSync(join(fx.base, 'CelebAMask-HQ-attribute-anno.txt'), '');
    const datasetId = await seedDataset(store, fx.root);
    // An attribute file that is empty is refused; the masks alone import.
    await refusal(importAnnotations(store, { datasetId, format: 'celebamask-hq', annotations: fx.base }));
    renameSync(join(fx.base, 'CelebAMask-HQ-attribute-anno.txt'), join(dir, 'attr.txt'));
    renameSync(join(fx.root, '1.jpg'), join(dir, '1.jpg'));
    const other = openStore(join(dir, 'other.sqlite'));
    cleanups.push(() => other.close());
    const otherId = await seedDataset(other, fx.root);
    const rep = await importAnnotations(other, {
      datasetId: otherId,
      format: 'celebamask-hq',
      annotations: fx.base,
    });
    expect(rep).toMatchObject({ faces: 1, masks: 1, skipped: 1, warningCount: 1 });
    expect(rep.warnings[0]?.message).toMatch(/image "1\.jpg" is not in the folder/);
  });
});
