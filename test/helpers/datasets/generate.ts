// Generates tiny datasets that mirror the real CelebA, FairFace, UTKFace, RAF-DB and ExpW layouts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { CELEBA_ATTRIBUTES } from '../../../src/shared/taxonomy';
import { walkFolder } from '../../../src/main/datasets/walk';
import type { Store } from '../../../src/main/store/index';

/** A small distinct JPEG per index (a colour gradient), so no two files are byte-identical unless asked. */
export async function writeImage(file: string, i: number, size = 48): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const px = Buffer.alloc(size * size * 3);
  for (let p = 0; p < size * size; p++) {
    px[p * 3] = (i * 37 + p) & 0xff;
    px[p * 3 + 1] = (i * 11) & 0xff;
    px[p * 3 + 2] = (p >> 3) & 0xff;
  }
  await sharp(px, { raw: { width: size, height: size, channels: 3 } })
    .jpeg({ quality: 80 })
    .toFile(file);
}

/** Creates the dataset row and one images row per file under root (what the folder import job records). */
export async function seedDataset(store: Store, root: string): Promise<number> {
  const walk = await walkFolder(root);
  const metas = await Promise.all(walk.images.map((rel) => sharp(join(root, rel)).metadata()));
  return store.write(() => {
    const id = store.datasets.insert({ name: 'test', root, format: 'folder' });
    walk.images.forEach((relPath, i) => {
      const m = metas[i]!;
      store.images.upsert({
        datasetId: id,
        relPath,
        sha256: null,
        width: m.width ?? null,
        height: m.height ?? null,
        status: 'ok',
        error: null,
        sizeBytes: null,
        mtimeMs: null,
      });
    });
    return id;
  });
}

/** Deterministic ±1 pattern per (image, attribute) that respects the hair-colour and beard rules. */
export function celebaValues(i: number): string[] {
  return CELEBA_ATTRIBUTES.map((a, j) => {
    if (a === 'Black_Hair') return i % 4 === 0 ? '1' : '-1';
    if (a === 'Blond_Hair') return i % 4 === 1 ? '1' : '-1';
    if (a === 'Brown_Hair' || a === 'Gray_Hair' || a === 'Bald' || a === 'Goatee' || a === 'Mustache')
      return '-1';
    if (a === 'No_Beard') return '1';
    return (i * 7 + j * 3) % 5 < 2 ? '1' : '-1';
  });
}

/** `000001.jpg -1  1 …` as the release pads it. */
export function celebaRow(name: string, values: readonly string[]): string {
  return name + values.map((v) => (v === '1' ? '  1' : ' -1')).join('');
}

export interface CelebaFixture {
  root: string;
  anno: string;
  names: string[];
}

/** img_align_celeba/ + Anno/ + Eval/ with n images; bbox and landmark columns padded irregularly like the release. */
export async function makeCeleba(dir: string, n = 6, eol = '\n'): Promise<CelebaFixture> {
  const root = join(dir, 'img_align_celeba');
  const anno = join(dir, 'celeba');
  const names = Array.from({ length: n }, (_, i) => `${String(i + 1).padStart(6, '0')}.jpg`);
  await Promise.all(names.map((nm, i) => writeImage(join(root, nm), i, 40 + i)));
  const lines = (rows: string[]) => rows.join(eol) + eol;
  mkdirSync(join(anno, 'Anno'), { recursive: true });
  mkdirSync(join(anno, 'Eval'), { recursive: true });
  writeFileSync(
    join(anno, 'Anno', 'list_attr_celeba.txt'),
    lines([String(n), CELEBA_ATTRIBUTES.join(' '), ...names.map((nm, i) => celebaRow(nm, celebaValues(i)))]),
  );
  writeFileSync(join(anno, 'Eval', 'list_eval_partition.txt'), lines(names.map((nm, i) => `${nm} ${i % 3}`)));
  writeFileSync(
    join(anno, 'Anno', 'list_bbox_celeba.txt'),
    lines([
      String(n),
      'image_id x_1 y_1 width height',
      ...names.map((nm, i) => `${nm}    ${2 + i}  ${3 + i}   ${20 + i}  ${25 + i}`),
    ]),
  );
  writeFileSync(
    join(anno, 'Anno', 'list_landmarks_align_celeba.txt'),
    lines([
      String(n),
      'lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y',
      ...names.map(
        (nm, i) =>
          `${nm} ${[10, 12, 28, 12, 19, 20, 12, 30, 27, 30].map((v) => String(v + (i % 2))).join('   ')}`,
      ),
    ]),
  );
  writeFileSync(
    join(anno, 'Anno', 'identity_CelebA.txt'),
    lines(names.map((nm, i) => `${nm} ${1000 + (i % 3)}`)),
  );
  return { root, anno, names };
}

/** fairface-img-margin025-trainval/{train,val}/N.jpg plus both label CSVs (numeric, not lexical, row order). */
export async function makeFairFace(dir: string): Promise<{ root: string; train: string; val: string }> {
  const root = join(dir, 'fairface');
  const train = [
    'file,age,gender,race,service_test',
    'train/1.jpg,50-59,Male,East Asian,True',
    'train/2.jpg,30-39,Female,Indian,False',
    'train/10.jpg,more than 70,Female,Latino_Hispanic,True',
    'train/3.jpg,3-9,Male,Middle Eastern,False',
  ];
  const val = [
    'file,age,gender,race,service_test',
    'val/1.jpg,20-29,Male,Southeast Asian,False',
    'val/2.jpg,0-2,Female,Black,True',
  ];
  let i = 0;
  for (const row of [...train.slice(1), ...val.slice(1)])
    await writeImage(join(root, row.split(',')[0]!), i++);
  writeFileSync(join(root, 'fairface_label_train.csv'), train.join('\n') + '\n');
  writeFileSync(join(root, 'fairface_label_val.csv'), val.join('\n') + '\n');
  return { root, train: join(root, 'fairface_label_train.csv'), val: join(root, 'fairface_label_val.csv') };
}

/** UTKFace crops named age_gender_race_date.jpg.chip.jpg, plus one malformed name as in the release. */
export async function makeUtk(dir: string): Promise<{ root: string; names: string[] }> {
  const root = join(dir, 'UTKFace');
  const names = [
    '1_0_2_20161219140623097.jpg.chip.jpg',
    '26_1_0_20170116174525125.jpg.chip.jpg',
    '80_0_3_20170111201008732.jpg.chip.jpg',
  ];
  let i = 0;
  for (const n of [...names, '39_1_20170116174525125.jpg.chip.jpg']) await writeImage(join(root, n), i++);
  return { root, names };
}

/** RAF-DB basic: Image/aligned/*_aligned.jpg and EmoLabel/list_patition_label.txt (train rows first). */
export async function makeRafdb(dir: string): Promise<{ root: string; list: string }> {
  const base = join(dir, 'basic');
  const root = join(base, 'Image', 'aligned');
  const rows = [
    'train_00001.jpg 5',
    'train_00002.jpg 4',
    'train_00003.jpg 1',
    'test_0001.jpg 7',
    'test_0002.jpg 3',
  ];
  let i = 0;
  for (const r of rows) await writeImage(join(root, r.split(' ')[0]!.replace('.jpg', '_aligned.jpg')), i++);
  mkdirSync(join(base, 'EmoLabel'), { recursive: true });
  const list = join(base, 'EmoLabel', 'list_patition_label.txt');
  writeFileSync(list, rows.join('\n') + '\n');
  return { root, list };
}

/** ExpW: image/origin/*.jpg and label/label.lst (two faces in one image). */
export async function makeExpw(dir: string): Promise<{ root: string; list: string }> {
  const base = join(dir, 'ExpW');
  const root = join(base, 'image', 'origin');
  const rows = [
    'afraid_African_214.jpg 0 4 3 30 33 62.1803 2',
    'angry_actor_104.jpg 0 5 6 25 30 67.0422 0',
    'angry_actor_104.jpg 1 10 30 44 40 41.25 6',
    'happy_boy_12.jpg 0 1 2 40 41 80.9 3',
  ];
  const images = [...new Set(rows.map((r) => r.split(' ')[0]!))];
  let i = 0;
  for (const img of images) await writeImage(join(root, img), i++, 64);
  mkdirSync(join(base, 'label'), { recursive: true });
  const list = join(base, 'label', 'label.lst');
  writeFileSync(list, rows.join('\n') + '\n');
  return { root, list };
}

/** Canonical class ids of a synthetic face layout (CelebAMask-HQ order): a few overlapping regions. */
export const MASK_REGIONS: readonly {
  cls: string;
  id: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}[] = [
  { cls: 'skin', id: 1, x0: 0.2, y0: 0.2, x1: 0.8, y1: 0.9 },
  { cls: 'nose', id: 2, x0: 0.45, y0: 0.45, x1: 0.55, y1: 0.6 },
  { cls: 'l_eye', id: 4, x0: 0.3, y0: 0.35, x1: 0.4, y1: 0.4 },
  { cls: 'r_eye', id: 5, x0: 0.6, y0: 0.35, x1: 0.7, y1: 0.4 },
  { cls: 'u_lip', id: 11, x0: 0.4, y0: 0.7, x1: 0.6, y1: 0.74 },
  // Overlaps skin's top rows: in the merged map hair (13) wins, as a later class.
  { cls: 'hair', id: 13, x0: 0.1, y0: 0.0, x1: 0.9, y1: 0.3 },
  { cls: 'neck', id: 17, x0: 0.35, y0: 0.88, x1: 0.65, y1: 1.0 },
];

/** A label map (canonical ids) of `size`² with MASK_REGIONS painted in order, shifted by `i` pixels. */
export function labelMap(size: number, i = 0): Uint8Array {
  const ids = new Uint8Array(size * size);
  for (const r of MASK_REGIONS) {
    for (let y = Math.floor(r.y0 * size); y < Math.floor(r.y1 * size); y++)
      for (let x = Math.floor(r.x0 * size) + i; x < Math.min(size, Math.floor(r.x1 * size) + i); x++)
        ids[y * size + x] = r.id;
  }
  return ids;
}

/** Single-channel PNG of raw 8-bit pixels. */
export function greyPng(size: number, px: Uint8Array): Promise<Buffer> {
  return sharp(Buffer.from(px), { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toBuffer();
}

export interface CelebaMaskHqFixture {
  base: string;
  root: string;
  maps: Uint8Array[];
}

/**
 * CelebAMask-HQ/: CelebA-HQ-img/<i>.jpg (imgSize), CelebAMask-HQ-mask-anno/<i/2000>/<05d>_<class>.png (half the
 * image size, 255 where the class is, saved as RGB like the release) and CelebAMask-HQ-attribute-anno.txt.
 */
export async function makeCelebaMaskHq(dir: string, n = 3, imgSize = 64): Promise<CelebaMaskHqFixture> {
  const base = join(dir, 'CelebAMask-HQ');
  const root = join(base, 'CelebA-HQ-img');
  const size = imgSize / 2;
  const maps: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    await writeImage(join(root, `${i}.jpg`), i, imgSize);
    const map = labelMap(size, i);
    maps.push(map);
    for (const r of MASK_REGIONS) {
      const px = Buffer.alloc(size * size * 3);
      for (let p = 0; p < size * size; p++) {
        // The class file holds the class's whole region, also where a later class covers it.
        const y = Math.floor(p / size);
        const x = p % size;
        const inside =
          y >= Math.floor(r.y0 * size) &&
          y < Math.floor(r.y1 * size) &&
          x >= Math.floor(r.x0 * size) + i &&
          x < Math.min(size, Math.floor(r.x1 * size) + i);
        if (inside) px.fill(255, p * 3, p * 3 + 3);
      }
      const file = join(
        base,
        'CelebAMask-HQ-mask-anno',
        String(Math.floor(i / 2000)),
        `${String(i).padStart(5, '0')}_${r.cls}.png`,
      );
      mkdirSync(dirname(file), { recursive: true });
      await sharp(px, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(file);
    }
  }
  writeFileSync(
    join(base, 'CelebAMask-HQ-attribute-anno.txt'),
    [
      String(n),
      CELEBA_ATTRIBUTES.join(' '),
      ...maps.map((_, i) => celebaRow(`${i}.jpg`, celebaValues(i))),
    ].join('\n') + '\n',
  );
  return { base, root, maps };
}
