// `npm run calibrate-int8 -- MODEL`: measures the float ranges of a bundled model's convolutions on the inputs the
// app really feeds it (the demo photos through the analysis pipeline, plus mirrored, darker and brighter copies),
// and writes them into the model's manifest as `int8.convs`, from which `npm run models` converts those
// convolutions to 8-bit integers. Run it again when the model, its input preparation or the demo set changes
// (test/integration/models/int8.test.ts fails when the stored ranges no longer match a fresh measurement).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { captureInputs } from '../test/helpers/models/capture';
import { augmentForCalibration, INT8_HEADROOM, measureInt8Ranges } from '../src/main/models/convert/int8';
import { readTfjsSource } from '../src/main/models/convert/weights';

const ROOT = resolve(import.meta.dirname, '..');

async function main(): Promise<void> {
  const id = process.argv[2];
  if (!id) throw new Error('usage: npm run calibrate-int8 -- MODEL (e.g. gear)');
  const manifestPath = join(ROOT, 'resources', 'models', `${id}.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    source: { package: string; path: string };
    int8?: unknown;
  };
  const source = readTfjsSource(join(ROOT, 'node_modules', manifest.source.package, manifest.source.path));
  const { captured } = await captureInputs();
  const entry = captured.get(id);
  if (!entry || entry.items.length === 0) throw new Error(`the demo photos gave no inputs for ${id}`);
  const dims = entry.dims as [number, number, number];
  const items = augmentForCalibration(entry.items, dims[1], dims[2]);
  const convs = await measureInt8Ranges(source, items, dims);
  manifest.int8 = {
    calibration:
      `min and max of each convolution's input and output over the ${entry.items.length} ${id} inputs of the demo ` +
      `photos, their mirror images and copies at 0.7x and 1.3x brightness, widened by ${INT8_HEADROOM}x ` +
      '(scripts/calibrate-int8.ts)',
    convs,
  };
  const tmp = `${manifestPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(tmp, manifestPath);
  console.log(
    `${id}: ${Object.keys(convs).length} convolutions calibrated on ${items.length} inputs -> ${manifestPath}`,
  );
  console.log('Run `npx prettier --write` on the manifest, then `npm run models`.');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
