// Runs a user's model (BYO manifest) on a face region: a face-parsing model's label map in canonical CelebAMask-HQ
// ids, or an attribute classifier's CelebA attribute probabilities.
import sharp from 'sharp';
import { AppError } from '../../shared/errors';
import { sigmoid } from '../../shared/numeric';
import { labelMapAreas } from '../../shared/taxonomy';
import { encodeLabelMap } from '../analysis/parsing';
import type { ModelEntry } from './registry';
import { toClassMap, type ModelRuntime } from './runtime';

export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ParsedMask {
  /** 8-bit single-channel PNG of canonical class ids over `box`, at the model's input size. */
  png: Buffer;
  box: Region;
  /** Canonical classes this model can output (its classMap's values). */
  classes: string[];
  /** Share of the box per class, from the map before encoding. */
  areas: { classes: string[]; fraction: Record<string, number> };
}

/** The first registered face-parsing model that is ready, if any. */
export function findParsingModel(models: readonly ModelEntry[]): ModelEntry | undefined {
  return models.find((m) => m.manifest.task === 'face-parsing' && m.status === 'ready');
}

/**
 * A user's CelebA attribute classifier on a face region: per labelled output, one probability per attribute
 * (the manifest's `labels` give the order; `scores: 'logit'` outputs go through a sigmoid).
 */
export async function scoreAttributes(
  runtime: Pick<ModelRuntime, 'run'>,
  entry: ModelEntry,
  image: Buffer,
  region: Region,
): Promise<{ attribute: string; p: number }[]> {
  const m = entry.manifest;
  const { name, data, dims } = await regionInput(entry, image, region);
  const outputs = await runtime.run(m.id, { [name]: { data, dims } });
  const out: { attribute: string; p: number }[] = [];
  for (const [output, names] of Object.entries(m.labels ?? {})) {
    const t = outputs[output];
    if (!t) throw new AppError('model_error', `Model "${m.id}" did not return "${output}"`);
    if (t.data.length !== names.length)
      throw new AppError(
        'model_error',
        `Model "${m.id}": output "${output}" has ${t.data.length} scores for one face; its labels name ${names.length}`,
      );
    names.forEach((attribute, k) => {
      const v = Number(t.data[k]);
      const p = m.scores === 'logit' ? sigmoid(v) : v;
      if (!(p >= 0 && p <= 1))
        throw new AppError(
          'model_error',
          `Model "${m.id}": "${attribute}" scored ${v}, not a probability (set "scores": "logit" for logits)`,
        );
      out.push({ attribute, p });
    });
  }
  return out;
}

/** Clamps a region to the image and rounds it to whole pixels (sharp's extract needs both). */
function clampRegion(r: Region, width: number, height: number): Region {
  const x = Math.max(0, Math.floor(r.x));
  const y = Math.max(0, Math.floor(r.y));
  const w = Math.min(width, Math.ceil(r.x + r.w)) - x;
  const h = Math.min(height, Math.ceil(r.y + r.h)) - y;
  if (w < 1 || h < 1) throw new AppError('invalid_request', 'face region lies outside the image');
  return { x, y, w, h };
}

/**
 * The model's input for `region` of the (EXIF-oriented) image: cropped, resized to the input size, normalised as
 * the manifest says ((pixel × scale − mean[c]) / std[c], RGB), in its layout. Shared by the user-model tasks.
 */
export async function regionInput(
  entry: ModelEntry,
  image: Buffer,
  region: Region,
): Promise<{ name: string; data: Float32Array; dims: number[]; box: Region }> {
  const m = entry.manifest;
  const input = m.inputs[0];
  if (!input) throw new AppError('model_error', `Model "${m.id}" has no input`);
  const [height, width] = input.size;
  const meta = await sharp(image).metadata();
  const turned = (meta.orientation ?? 1) >= 5; // EXIF 5..8 swap width and height once applied
  const box = clampRegion(
    region,
    (turned ? meta.height : meta.width) ?? 0,
    (turned ? meta.width : meta.height) ?? 0,
  );
  const { data } = await sharp(image, { failOn: 'none' })
    .rotate()
    .extract({ left: box.x, top: box.y, width: box.w, height: box.h })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const scale = input.scale ?? 1 / 255;
  const mean = input.mean ?? [0, 0, 0];
  const std = input.std ?? [1, 1, 1];
  const plane = width * height;
  const tensor = new Float32Array(3 * plane);
  const nchw = input.layout === 'NCHW';
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (data[i * 3 + c]! * scale - (mean[c] ?? 0)) / (std[c] ?? 1);
      tensor[nchw ? c * plane + i : i * 3 + c] = v;
    }
  }
  const dims = nchw ? [1, 3, height, width] : [1, height, width, 3];
  return { name: input.name, data: tensor, dims, box };
}

/** Crops `region` of the (EXIF-oriented) image, feeds the model, and returns the argmax map as a PNG. */
export async function parseRegion(
  runtime: Pick<ModelRuntime, 'run'>,
  entry: ModelEntry,
  image: Buffer,
  region: Region,
): Promise<ParsedMask> {
  const m = entry.manifest;
  const { name, data: tensor, dims, box } = await regionInput(entry, image, region);
  const outputs = await runtime.run(m.id, { [name]: { data: tensor, dims } });
  const firstName = Object.keys(m.outputs)[0] as string;
  const out = outputs[firstName];
  if (!out) throw new AppError('model_error', `Model "${m.id}" did not return "${firstName}"`);
  const [map] = toClassMap(out, m);
  if (!map) throw new AppError('model_error', `Model "${m.id}" returned an empty parsing map`);
  const png = await encodeLabelMap({ ...map, box });
  const classes = [...new Set(Object.values(m.classMap ?? {}))];
  return { png, box, classes, areas: labelMapAreas(map.ids, classes) };
}
