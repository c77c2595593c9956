// Model manifest schema (resources/models/<id>.json and user models): validation with file + field problems.
import { z } from 'zod';
import { CELEBA_ATTRIBUTES, PARSING_CLASSES, type ParsingClass } from '../../shared/taxonomy';

/** Canonical parsing classes and CelebA names come from the shared taxonomy (one source of truth). */
export const CELEBAMASK_HQ_CLASSES = PARSING_CLASSES;
export type { ParsingClass };
export const CELEBA_ATTRIBUTE_NAMES = CELEBA_ATTRIBUTES;

export const MODEL_TASKS = [
  'face-detection',
  'face-landmarks',
  'expression',
  'gear',
  'age-gender',
  'face-description',
  'identity-embedding',
  'person-segmentation',
  'face-parsing',
  'attributes',
] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

const parsingClasses = new Set<string>(CELEBAMASK_HQ_CLASSES);
const celebaAttributes = new Set<string>(CELEBA_ATTRIBUTE_NAMES);

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const inputSchema = z.object({
  name: nonEmpty,
  layout: z.enum(['NHWC', 'NCHW']),
  /** [height, width] in pixels: the size the model was trained at (and the only one, unless `anySize`). */
  size: z.tuple([z.int().positive(), z.int().positive()]),
  /**
   * A fully convolutional model that also takes other heights and widths (the converter makes them dynamic):
   * the detector reads a whole scaled image in one run instead of many tiles.
   */
  anySize: z.boolean().optional(),
  channels: z.int().positive(),
  dtype: z.enum(['float32', 'uint8', 'int32']).default('float32'),
  /** How pixels become numbers, in words (e.g. "0..1", "(x/127.5)-1"); the analysis code implements it. */
  normalisation: nonEmpty,
  /**
   * Machine-readable form for user models the app feeds itself (face-parsing, attributes): value =
   * (pixel × scale − mean[c]) / std[c], RGB order; defaults scale 1/255, mean 0, std 1.
   */
  scale: z.number().positive().optional(),
  mean: z.array(z.number()).min(1).optional(),
  std: z.array(z.number().positive()).min(1).optional(),
});

const sourceSchema = z.object({
  package: nonEmpty,
  version: nonEmpty,
  path: nonEmpty,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
});

const KNOWN_FIELDS = [
  'id',
  'version',
  'task',
  'file',
  'source',
  'inputs',
  'outputs',
  'labels',
  'classMap',
  'scores',
  'license',
  'notes',
  'int8',
] as const;

export const manifestSchema = z
  .object({
    id: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._-]*$/,
        'must be lower-case letters, digits, ".", "_" or "-" (e.g. "my-parser")',
      ),
    version: nonEmpty,
    task: z.enum(MODEL_TASKS),
    file: nonEmpty
      .regex(/\.onnx$/, 'must name an .onnx file')
      // Resolved against the manifest's own folder: a manifest may not reach outside it.
      .refine((f) => !/^([/\\]|[a-zA-Z]:)/.test(f) && !f.split(/[/\\]/).includes('..'), {
        message: 'must be a path inside the manifest folder (no absolute path, no "..")',
      }),
    source: sourceSchema.optional(),
    inputs: z.array(inputSchema).min(1, 'needs at least one input'),
    /** ONNX output name -> what it means; keys must equal the model's output names. */
    outputs: z.record(z.string().min(1), nonEmpty).refine((o) => Object.keys(o).length > 0, {
      message: 'needs at least one output',
    }),
    /** Output name -> class labels in the order of that output's last (class) dimension. */
    labels: z.record(z.string().min(1), z.array(nonEmpty).min(1)).optional(),
    /** Class index (as a string) -> canonical CelebAMask-HQ class name; required for face-parsing. */
    classMap: z
      .record(z.string().regex(/^(0|[1-9][0-9]*)$/, 'keys must be class indices'), z.string())
      .optional(),
    /** attributes: whether the labelled outputs are probabilities (default) or logits (a sigmoid is applied). */
    scores: z.enum(['probability', 'logit']).optional(),
    license: nonEmpty,
    notes: z.string().optional(),
    /**
     * Bundled models converted with some convolutions on 8-bit integers: the calibrated float range of each one's
     * input and output, by TF node name (written by scripts/calibrate-int8.ts), and how it was measured.
     */
    int8: z
      .object({
        calibration: nonEmpty,
        convs: z.record(
          nonEmpty,
          z.object({ input: z.tuple([z.number(), z.number()]), output: z.tuple([z.number(), z.number()]) }),
        ),
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    const outputs = Object.keys(m.outputs);
    for (const [out, names] of Object.entries(m.labels ?? {})) {
      if (!outputs.includes(out)) {
        ctx.addIssue({
          code: 'custom',
          path: ['labels', out],
          message: `names output "${out}", which "outputs" does not list (${outputs.join(', ')})`,
        });
      }
      if (m.task === 'attributes') {
        names.forEach((name, k) => {
          if (!celebaAttributes.has(name)) {
            ctx.addIssue({
              code: 'custom',
              path: ['labels', out, k],
              message: `"${name}" is not a CelebA attribute name (e.g. Eyeglasses, Wearing_Hat, 5_o_Clock_Shadow)`,
            });
          }
        });
      }
    }
    if (m.task === 'attributes' && Object.keys(m.labels ?? {}).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['labels'],
        message: 'an attributes model needs labels: output name -> the CelebA attribute name of each score',
      });
    }
    if (m.task === 'face-parsing') {
      if (!m.classMap || Object.keys(m.classMap).length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['classMap'],
          message: 'a face-parsing model needs classMap: class index -> CelebAMask-HQ class name',
        });
      } else {
        const indices = Object.keys(m.classMap)
          .map(Number)
          .sort((a, b) => a - b);
        if (indices.some((v, k) => v !== k)) {
          ctx.addIssue({
            code: 'custom',
            path: ['classMap'],
            message: `class indices must run 0..${indices.length - 1} without gaps (got ${indices.join(', ')})`,
          });
        }
      }
    }
    for (const [index, name] of Object.entries(m.classMap ?? {})) {
      if (!parsingClasses.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['classMap', index],
          message: `"${name}" is not a CelebAMask-HQ class (${CELEBAMASK_HQ_CLASSES.join(', ')})`,
        });
      }
    }
  });

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestInput = Manifest['inputs'][number];

/** A manifest that could not be used, or a note about one that was; `file` is the manifest's path. */
export interface ManifestProblem {
  file: string;
  field?: string;
  message: string;
}

export type ManifestParse =
  { ok: true; manifest: Manifest; notes: ManifestProblem[] } | { ok: false; problems: ManifestProblem[] };

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => {
    if (typeof p === 'number') return `${acc}[${p}]`;
    const key = String(p);
    return acc ? `${acc}.${key}` : key;
  }, '');
}

/** Parses manifest text; every schema issue becomes one problem naming the file and the field. */
export function parseManifest(text: string, file: string): ManifestParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [{ file, message: `not valid JSON: ${(err as Error).message}` }] };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const field = fieldPath(issue.path);
        return field ? { file, field, message: issue.message } : { file, message: issue.message };
      }),
    };
  }
  // Unknown fields are kept out of the typed manifest but named, so a typo such as "clasMap" is visible.
  const known = new Set<string>(KNOWN_FIELDS);
  const notes = Object.keys(json as object)
    .filter((k) => !known.has(k))
    .map((k) => ({ file, field: k, message: `unknown field "${k}" ignored` }));
  return { ok: true, manifest: parsed.data, notes };
}

/** Canonical CelebAMask-HQ index of each model class index, from a face-parsing manifest's classMap. */
export function canonicalClassIds(manifest: Manifest): Uint8Array {
  const entries = Object.entries(manifest.classMap ?? {});
  const ids = new Uint8Array(entries.length);
  for (const [index, name] of entries) {
    ids[Number(index)] = CELEBAMASK_HQ_CLASSES.indexOf(name as ParsingClass);
  }
  return ids;
}
