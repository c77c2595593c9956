// The analyze bench's peer, run as its own process: @vladmandic/human 3.3.6 on TF.js's WebAssembly backend (SIMD),
// the fast way to run these weights in Node without native TensorFlow, with the face models both sides run
// (detector, mesh, emotion, description = faceres, gear) and the selfie segmentation, as issue #30 sets it up.
// mobilefacenet is off on both sides (ours computes it only for datasets that train on it).
// Usage: node scripts/bench/human-peer.mjs <out.json> <photo>...   Plain JavaScript, so starting it costs no more
// than Node itself: the bench times this whole process from spawn to exit as well.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const start = performance.now();
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
// By path: the package's "exports" keys lack their "./", so Node resolves none of its subpaths.
const { Human } = require(join(ROOT, 'node_modules', '@vladmandic', 'human', 'dist', 'human.node-wasm.js'));
const sharp = require('sharp');

const [out, ...photos] = process.argv.slice(2);
if (!out || photos.length === 0) throw new Error('usage: human-peer.mjs <out.json> <photo>...');

// Human loads models with fetch: serve them from the installed package, never a network.
const MODELS = join(ROOT, 'node_modules', '@vladmandic', 'human-models', 'models');
const BASE = 'http://human-models.local/';
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  const u = String(url);
  if (!u.startsWith(BASE)) return realFetch(url, init);
  return new Response(readFileSync(join(MODELS, u.slice(BASE.length))), { status: 200 });
};

const human = new Human({
  backend: 'wasm',
  wasmPath: join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + '/',
  wasmPlatformFetch: false,
  modelBasePath: BASE,
  warmup: 'none',
  cacheSensitivity: 0,
  async: false,
  filter: { enabled: false },
  gesture: { enabled: false },
  body: { enabled: false },
  hand: { enabled: false },
  object: { enabled: false },
  segmentation: { enabled: true, modelPath: 'selfie.json' },
  face: {
    detector: { rotation: true, maxDetected: 100, minConfidence: 0.2, return: false },
    mesh: { enabled: true },
    iris: { enabled: false },
    attention: { enabled: false },
    emotion: { enabled: true, minConfidence: 0 },
    description: { enabled: true, minConfidence: 0 },
    gear: { enabled: true, modelPath: 'gear.json' },
    mobilefacenet: { enabled: false },
    antispoof: { enabled: false },
    liveness: { enabled: false },
  },
});
await human.load();
const loadMs = performance.now() - start;
const imageMs = [];
let faces = 0;
for (const photo of photos) {
  const t = performance.now();
  const { data, info } = await sharp(photo)
    .rotate()
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const input = human.tf.tensor(Float32Array.from(data), [1, info.height, info.width, 3], 'float32');
  faces += (await human.detect(input)).face.length;
  input.dispose();
  imageMs.push(performance.now() - t);
}
const backend = human.tf.getBackend();
writeFileSync(out, JSON.stringify({ backend, loadMs, imageMs, totalMs: performance.now() - start, faces }));
