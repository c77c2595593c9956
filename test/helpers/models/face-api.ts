// face-api itself (its bundled TF.js 4.22, CPU backend) in plain Node: the reference its converted nets must match.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FACE_API_MODELS = fileURLToPath(
  new URL('../../../node_modules/@vladmandic/face-api/model/', import.meta.url),
);

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.esm.js');
let loaded: Promise<FaceApi> | undefined;

/**
 * The ESM bundle's Node platform wants a `util` module it does not carry (a stub in the bundle), so it throws on
 * import in Node. Posing as a worker while it loads makes TF.js take its browser platform instead (fetch and
 * TextEncoder, both global in Node 20); the kernels are the same CPU backend either way.
 */
export function faceApi(): Promise<FaceApi> {
  loaded ??= (async () => {
    const g = globalThis as { WorkerGlobalScope?: unknown };
    const had = 'WorkerGlobalScope' in g;
    g.WorkerGlobalScope ??= class {};
    try {
      const api = await import('@vladmandic/face-api/dist/face-api.esm.js');
      // The bundle's tf typings leave out the engine functions; they are there at run time.
      const engine = api.tf as unknown as {
        setBackend(name: string): Promise<boolean>;
        ready(): Promise<void>;
      };
      await engine.setBackend('cpu');
      await engine.ready();
      return api;
    } finally {
      if (!had) delete g.WorkerGlobalScope;
    }
  })();
  return loaded;
}

/** face-api's weights map of `net` (e.g. age_gender_model) decoded by its own TF.js, as loadFromDisk does. */
export async function faceApiWeights(net: string) {
  const api = await faceApi();
  const manifest = JSON.parse(readFileSync(`${FACE_API_MODELS}${net}-weights_manifest.json`, 'utf8')) as {
    paths: string[];
    weights: Parameters<FaceApi['tf']['io']['decodeWeights']>[1];
  }[];
  const specs = manifest.flatMap((g) => g.weights);
  const bytes = Buffer.concat(
    manifest.flatMap((g) => g.paths.map((p) => readFileSync(`${FACE_API_MODELS}${p}`))),
  );
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return api.tf.io.decodeWeights(buffer, specs);
}
