// Runs TF.js graph models on the pure-JS CPU backend in plain Node, the reference the converted ONNX must match.
import * as tf from '@tensorflow/tfjs';
import type { TfjsModelJson } from '../../../src/main/models/convert';

let ready: Promise<void> | undefined;

/** TF.js picks its backend lazily; pin the CPU one once and keep its startup chatter off the test output. */
export function tfReady(): Promise<void> {
  ready ??= (async () => {
    tf.env().set('IS_NODE', true);
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
    await tf.ready();
  })();
  return ready;
}

/**
 * tf.loadGraphModel('file://…') needs tfjs-node, so the artifacts are handed over in memory instead: the same
 * model.json fields TF.js's own HTTP loader passes on.
 */
export async function loadGraphModel(json: TfjsModelJson, weightData: Uint8Array): Promise<tf.GraphModel> {
  await tfReady();
  const buffer = weightData.buffer.slice(
    weightData.byteOffset,
    weightData.byteOffset + weightData.byteLength,
  );
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
      weightData: buffer as ArrayBuffer,
      signature: json.signature as object | undefined,
      userDefinedMetadata: json.userDefinedMetadata as object | undefined,
    }),
  );
}

/** Runs `model` on one NHWC input and returns the named outputs as flat float arrays with their shapes. */
export function runGraphModel(
  model: tf.GraphModel,
  input: Float32Array,
  shape: number[],
  outputs: string[],
): { data: Float32Array; shape: number[] }[] {
  return tf.tidy(() => {
    const x = tf.tensor(input, shape, 'float32');
    const res = model.execute(x, outputs);
    const list = Array.isArray(res) ? res : [res];
    return list.map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
  });
}

export { tf };
