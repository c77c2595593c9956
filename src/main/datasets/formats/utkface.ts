// UTKFace: labels live in the file names, `[age]_[gender]_[race]_[date&time].jpg` (gender 0 male, race 0-4).
import { join } from 'node:path';
import {
  MAX_AGE,
  fairFaceToUtk,
  genderFromUtk,
  genderToUtk,
  isFairFaceRace,
  isGender,
  isUtkRace,
  raceFromUtk,
  raceToUtkCode,
  type UtkRace,
} from '../../../shared/taxonomy';
import { baseName, onePerImage } from './common';
import type { FaceRecord, FormatModule, OutputFile, ReadContext, WriteContext } from './types';

const NAME = /^(\d{1,3})_([01])_([0-4])_(.+)$/;

/** Reads labels from the dataset's image names; a name that does not follow the pattern is a warning. */
async function read(ctx: ReadContext) {
  const records: FaceRecord[] = [];
  for (const rel of ctx.imagePaths) {
    const m = NAME.exec(baseName(rel));
    const age = m ? Number(m[1]) : NaN;
    if (!m || age > MAX_AGE) {
      ctx.problems.warn(rel, 0, 'name', `"${baseName(rel)}" is not age_gender_race_date.jpg; image skipped`);
      continue;
    }
    const gender = genderFromUtk(Number(m[2]))!;
    const race = raceFromUtk(Number(m[3]))!;
    records.push({ file: rel, line: 0, name: rel, faceNo: 0, labels: { age: String(age), gender, race } });
  }
  return { records, files: [] };
}

/** Copies each labelled image under a name built from its effective labels (the date part is kept). */
function write({ faces, root, problems }: WriteContext): OutputFile[] {
  const out: OutputFile[] = [];
  for (const f of onePerImage(faces)) {
    const v = f.values;
    const age = v.age === undefined ? NaN : Number(v.age);
    let race: UtkRace | undefined;
    if (v.race !== undefined)
      race = isUtkRace(v.race) ? v.race : isFairFaceRace(v.race) ? fairFaceToUtk(v.race) : undefined;
    if (!Number.isInteger(age) || v.gender === undefined || !isGender(v.gender) || race === undefined) {
      problems.warn(
        f.relPath,
        0,
        undefined,
        `${f.relPath}: needs an age in years, a gender and a race; left out`,
      );
      continue;
    }
    const base = baseName(f.relPath);
    const m = NAME.exec(base);
    const rest = m ? m[4] : base;
    const dir = f.relPath.slice(0, f.relPath.length - base.length);
    out.push({
      name: `${dir}${age}_${genderToUtk(v.gender)}_${raceToUtkCode(race)}_${rest}`,
      copyFrom: join(root, f.relPath),
    });
  }
  return out;
}

export const utkface: FormatModule = { id: 'utkface', read, write };
