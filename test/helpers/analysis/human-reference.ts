// Reference run of @vladmandic/human (TF.js CPU backend, the models our ONNX files come from); prints JSON per photo.
// Usage: tsx human-reference.ts <out.json> <photo>...  (run as a child process: it registers module hooks).
import { readFile, writeFile } from 'node:fs/promises';
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';

/**
 * Human's no-bundle ESM build imports tfjs' ESM entry points (extensionless imports Node cannot load) and the wasm /
 * webgpu backends (not installed; only the CPU backend runs here). Map the tfjs packages to their Node builds and
 * the two absent backends to empty modules.
 */
const hooks = `
const absent = new Set(['@tensorflow/tfjs-backend-wasm/dist/index.js', '@tensorflow/tfjs-backend-webgpu/dist/index.js']);
export async function resolve(specifier, context, next) {
  if (absent.has(specifier)) return { url: 'data:text/javascript,export {}', shortCircuit: true };
  const m = /^(@tensorflow\\/tfjs-[a-z-]+)\\/dist\\/index\\.js$/.exec(specifier);
  return next(m ? m[1] : specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

export interface ReferenceFace {
  /** Bounding box of Human's mesh (x, y, w, h). */
  meshBox: { x: number; y: number; w: number; h: number };
  gender: string;
  genderScore: number;
  age: number;
  emotion: { score: number; emotion: string }[];
  /** gear's race softmax on Human's own face crop, in gear's order. */
  race: number[];
}

const ROOT = join(import.meta.dirname, '..', '..', '..');
const MODELS = join(ROOT, 'node_modules', '@vladmandic', 'human-models', 'models');
const BASE = 'http://human-models.local/';

async function main(): Promise<void> {
  const [out, ...photos] = process.argv.slice(2);
  if (!out || photos.length === 0) throw new Error('usage: human-reference.ts <out.json> <photo>...');
  // Human loads models with fetch; serve them from the installed package instead of a network.
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url: string | URL | Request, init?: RequestInit) => {
    const u = String(url);
    if (!u.startsWith(BASE)) return realFetch(url, init);
    return new Response(await readFile(join(MODELS, u.slice(BASE.length))), { status: 200 });
  };
  const H = (await import(
    pathToFileURL(join(ROOT, 'node_modules', '@vladmandic', 'human', 'dist', 'human.esm-nobundle.js')).href
  )) as unknown as {
    Human: new (config: object) => {
      tf: any; // eslint-disable-line @typescript-eslint/no-explicit-any
      load(): Promise<void>;
      detect(input: unknown): Promise<{ face: any[] }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
  };
  const human = new H.Human({
    backend: 'cpu',
    modelBasePath: BASE,
    warmup: 'none',
    cacheSensitivity: 0,
    async: false,
    filter: { enabled: false },
    gesture: { enabled: false },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
    face: {
      // Rotation correction on, as our pipeline; every face kept; every class probability reported.
      detector: { rotation: true, maxDetected: 100, minConfidence: 0.2, return: true },
      iris: { enabled: false },
      emotion: { minConfidence: 0 },
      description: { minConfidence: 0 },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
  });
  await human.load();
  const tf = human.tf;
  const gear = await tf.loadGraphModel(`${BASE}gear.json`);
  const result: Record<string, ReferenceFace[]> = {};
  for (const photo of photos) {
    const { data, info } = await sharp(photo)
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const input = tf.tensor(Float32Array.from(data), [1, info.height, info.width, 3], 'float32');
    const res = await human.detect(input);
    input.dispose();
    const faces: ReferenceFace[] = [];
    for (const f of res.face) {
      const xs = f.mesh.map((p: number[]) => p[0]);
      const ys = f.mesh.map((p: number[]) => p[1]);
      const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
      // gear.ts on Human's own face crop: cropAndResize box [0, 0.10, 0.90, 0.90] to 198x198, then race_output.
      const crop = tf.image.cropAndResize(tf.expandDims(f.tensor, 0), [[0, 0.1, 0.9, 0.9]], [0], [198, 198]);
      const race = gear.execute(crop, 'race_output');
      faces.push({
        meshBox: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 },
        gender: f.gender,
        genderScore: f.genderScore,
        age: f.age,
        emotion: f.emotion,
        race: Array.from(await race.data()),
      });
      tf.dispose([crop, race, f.tensor]);
    }
    result[photo] = faces;
  }
  await writeFile(out, JSON.stringify(result));
}

await main();
