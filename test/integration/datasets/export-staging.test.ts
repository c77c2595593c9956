// Export writes into a staging folder and renames into place: killed runs leave nothing among the targets, later
// runs clean their staging and old temp files, and a failed run never mixes its files with an earlier run's.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../src/shared/errors';
import { exportDataset } from '../../../src/main/datasets/formats/export';
import { importAnnotations } from '../../../src/main/datasets/formats/import';
import { makeCeleba, seedDataset } from '../../helpers/datasets/generate';
import { tempStores } from '../../helpers/store';

const setup = tempStores('fi-export-stage-');

async function celebaStore() {
  const { dir, store } = setup();
  const fx = await makeCeleba(dir, 2);
  const datasetId = await seedDataset(store, fx.root);
  await importAnnotations(store, { datasetId, format: 'celeba', annotations: fx.anno });
  return { dir, store, datasetId };
}

/** The pid of a process that has exited: what a killed export's staging folder carries. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

describe('export staging', () => {
  it('removes a killed run’s staging folder and old .fi-tmp files, keeps a live run’s', async () => {
    const { dir, store, datasetId } = await celebaStore();
    const out = join(dir, 'out');
    const dead = join(out, `.fi-export-${deadPid()}-abc123`);
    const live = join(out, `.fi-export-${process.pid}-def456`);
    mkdirSync(join(dead, 'sub'), { recursive: true });
    writeFileSync(join(dead, 'faces.json'), 'half a file');
    mkdirSync(live);
    writeFileSync(join(out, '.0123456789ab.fi-tmp'), 'half a file of an older version');
    writeFileSync(join(out, 'notes.fi-tmp'), 'not ours: kept');
    const r = await exportDataset(store, { datasetId, format: 'json', out });
    expect(r.files).toEqual(['faces.json', 'provenance.json']);
    expect(readdirSync(out).sort()).toEqual([
      `.fi-export-${process.pid}-def456`,
      'faces.json',
      'notes.fi-tmp',
      'provenance.json',
    ]);
  });

  it('writes none of its files when one target cannot be replaced, so files of two runs never mix', async () => {
    const { dir, store, datasetId } = await celebaStore();
    const out = join(dir, 'out');
    await exportDataset(store, { datasetId, format: 'json', out });
    const before = readFileSync(join(out, 'faces.json'), 'utf8');
    store.write(() => store.labels.setHuman({ faceId: 1, key: 'Bald', value: '1', actor: 'test' }));
    // provenance.json replaced by a folder: the second run must fail before faces.json changes.
    const prov = join(out, 'provenance.json');
    rmSync(prov);
    mkdirSync(join(prov, 'x'), { recursive: true });
    const err = await exportDataset(store, { datasetId, format: 'json', out, overwrite: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(/provenance\.json is a folder/);
    // The new run's faces.json (with the Bald edit) differs, and was not put in place.
    expect(readFileSync(join(out, 'faces.json'), 'utf8')).toBe(before);
    await exportDataset(store, { datasetId, format: 'json', out: join(dir, 'fresh') });
    expect(readFileSync(join(dir, 'fresh', 'faces.json'), 'utf8')).not.toBe(before);
    expect(readdirSync(out).sort()).toEqual(['faces.json', 'provenance.json']);
  });
});
