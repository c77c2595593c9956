// The seam for models a user adds (BYO manifests): one module per task says which registered models it runs and
// what it does to one analysed face. Adding a task: a manifest task in models/manifest.ts, a module here.
import type { ModelTask } from '../models/manifest';
import { findParsingModel, parseRegion, scoreAttributes } from '../models/parsing';
import type { ModelEntry } from '../models/registry';
import type { ModelRuntime } from '../models/runtime';
import type { FaceResult } from './index';

type Runtime = Pick<ModelRuntime, 'run'>;

export interface UserModelTask {
  task: ModelTask;
  /** The registered models this task runs, in order (e.g. only the first face-parsing model). */
  pick(models: readonly ModelEntry[]): ModelEntry[];
  /** One face after the model ran on it: predictions added, or the mask replaced. */
  apply(runtime: Runtime, entry: ModelEntry, image: Buffer, face: FaceResult): Promise<FaceResult>;
}

const faceParsing: UserModelTask = {
  task: 'face-parsing',
  pick: (models) => {
    const m = findParsingModel(models);
    return m ? [m] : [];
  },
  // It reads the region the derived map covers, and its map wins (docs/models.md, "Adding your own model").
  async apply(runtime, entry, image, face) {
    const { png, box, classes, areas } = await parseRegion(runtime, entry, image, face.mask.box);
    return { ...face, mask: { png, box, source: 'model', classes, areas } };
  },
};

const attributes: UserModelTask = {
  task: 'attributes',
  pick: (models) => models.filter((m) => m.manifest.task === 'attributes' && m.status === 'ready'),
  // The same face region as the parsing map (face and hair); stored like any model's attribute prediction, so
  // it outranks the derived attributes and is outranked by heads learned from the dataset's own labels.
  async apply(runtime, entry, image, face) {
    const scores = await scoreAttributes(runtime, entry, image, face.mask.box);
    const predictions = scores.map(({ attribute, p }) => ({
      modelId: entry.id,
      modelVersion: entry.manifest.version,
      task: attribute,
      source: 'model' as const,
      value: { value: p >= 0.5 ? 1 : -1, p: Math.round(p * 1e4) / 1e4 },
    }));
    const replaced = new Set(scores.map((s) => s.attribute));
    return {
      ...face,
      predictions: [
        ...face.predictions.filter((q) => !(q.modelId === entry.id && replaced.has(q.task))),
        ...predictions,
      ],
    };
  },
};

export const USER_MODEL_TASKS: readonly UserModelTask[] = [faceParsing, attributes];

export interface UserModel {
  task: UserModelTask;
  entry: ModelEntry;
}

/** Every registered model some task runs, in task order. */
export function userModels(models: readonly ModelEntry[]): UserModel[] {
  return USER_MODEL_TASKS.flatMap((task) => task.pick(models).map((entry) => ({ task, entry })));
}

/** Runs the user's models on one analysed face, one after another. */
export async function applyUserModels(
  runtime: Runtime,
  models: readonly UserModel[],
  image: Buffer,
  face: FaceResult,
): Promise<FaceResult> {
  let out = face;
  for (const { task, entry } of models) out = await task.apply(runtime, entry, image, out);
  return out;
}
