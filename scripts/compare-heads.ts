// Compares the age / gender and expression heads on the face-api demo photos (no labels ship with them): Human's
// (faceres, emotion) and face-api's (faceapi-agegender, faceapi-expression), each on the pipeline's 1.4x crop and
// on the tight crop inside it (the central 1/1.4). Prints one line per face and, with --out DIR, writes each
// face's tight crop as DIR/<photo>-<n>.png so the faces can be labelled by eye.
// Usage: npx tsx scripts/compare-heads.ts [--out DIR]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';
import { analysisRuntime, createAnalyzer, type AnalysisRuntime } from '../src/main/analysis/index';
import { argmax, emotionInput, EXPRESSIONS } from '../src/main/analysis/heads';
import { affine, cropAndResize, type FloatRaster } from '../src/main/analysis/image-ops';
import { loadRegistry } from '../src/main/models/registry';
import { ModelRuntime } from '../src/main/models/runtime';

const ROOT = resolve(import.meta.dirname, '..');
const PHOTOS = [1, 2, 3, 4, 5, 6].map((i) =>
  join(ROOT, 'node_modules', '@vladmandic', 'face-api', 'demo', `sample${i}.jpg`),
);
const outFlag = process.argv.indexOf('--out');
const outDir = outFlag >= 0 ? resolve(process.argv[outFlag + 1]!) : null;
const FACE_API_ORDER = ['neutral', 'happy', 'sad', 'angry', 'fear', 'disgust', 'surprise'];
const inset = (1 - 1 / 1.4) / 2;

type Pred = { label: string; value: unknown };
const pick = (preds: { task: string; value: unknown }[], task: string) =>
  preds.find((p) => p.task === task)!.value as Record<string, unknown>;

async function main() {
  const registry = await loadRegistry({ bundledDir: join(ROOT, 'resources', 'models') });
  const dataDir = mkdtempSync(join(tmpdir(), 'fi-heads-'));
  const runtime = new ModelRuntime({ registry, dataDir, provider: 'cpu' });
  const base = analysisRuntime(runtime, registry);
  // faceres reads the 1.4x crop at 224x224 (x255): kept faces in order; its centre is the tight crop.
  let faceresCrops: Float32Array[] = [];
  const capturing: AnalysisRuntime = {
    ...base,
    run: async (id, feeds) => {
      if (id === 'faceres') {
        const f = feeds.input_1!;
        for (let b = 0; b < f.dims[0]!; b++)
          faceresCrops.push(f.data.slice(b * 224 * 224 * 3, (b + 1) * 224 * 224 * 3));
      }
      return base.run(id, feeds);
    },
  };
  const faceApi = createAnalyzer(capturing);
  const human = createAnalyzer(base, { models: { ageGender: 'faceres', expression: 'emotion' } });
  if (outDir) mkdirSync(outDir, { recursive: true });
  console.log(
    'face\tfaceres gender age\tface-api gender age (1.4x)\tface-api (tight)\temotion 1.4x\temotion tight\tface-api expr 1.4x\tface-api expr tight',
  );
  try {
    for (const photo of PHOTOS) {
      faceresCrops = [];
      const a = await faceApi.analyze(photo);
      const h = await human.analyze(photo);
      if (a.faces.length !== h.faces.length) throw new Error(`${photo}: face counts differ`);
      for (const [k, f] of a.faces.entries()) {
        const crop: FloatRaster = {
          width: 224,
          height: 224,
          channels: 3,
          data: faceresCrops[k]!.map((v) => v / 255),
        };
        const tight = cropAndResize(crop, [inset, inset, 1 - inset, 1 - inset], 112, 112);
        const fa = affine(tight, (v) => Math.fround(v * 255));
        const [ag, ex, emo] = await Promise.all([
          base.run('faceapi-agegender', { input: { data: fa.data, dims: [1, 112, 112, 3] } }),
          base.run('faceapi-expression', { input: { data: fa.data.slice(), dims: [1, 112, 112, 3] } }),
          base.run('emotion', { 'input_1:0': { data: emotionInput(tight).data, dims: [1, 64, 64, 1] } }),
        ]);
        const tAge = (ag.age!.data as Float32Array)[0]!;
        const tMale = (ag.gender!.data as Float32Array)[0]!;
        const tEx = FACE_API_ORDER[argmax(ex.expression!.data as Float32Array)];
        const tEmo = EXPRESSIONS[argmax(emo['Identity:0']!.data as Float32Array)];
        const hg = pick(h.faces[k]!.predictions, 'gender');
        const ha = pick(h.faces[k]!.predictions, 'age');
        const g = pick(f.predictions, 'gender');
        const age = pick(f.predictions, 'age');
        const name = `${basename(photo, '.jpg')}-${k}`;
        console.log(
          [
            name,
            `${hg.label} ${ha.years}`,
            `${g.label} ${age.years}`,
            `${tMale > 0.5 ? 'Male' : 'Female'} ${tAge.toFixed(1)}`,
            (pick(h.faces[k]!.predictions, 'expression') as unknown as Pred).label,
            tEmo,
            (pick(f.predictions, 'expression') as unknown as Pred).label,
            tEx,
          ].join('\t'),
        );
        if (outDir) {
          await sharp(Buffer.from(Uint8Array.from(crop.data, (v) => Math.round(v * 255))), {
            raw: { width: 224, height: 224, channels: 3 },
          })
            .png()
            .toFile(join(outDir, `${name}.png`));
        }
      }
    }
  } finally {
    await runtime.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
