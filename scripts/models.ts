// Entry of `npm run models` (and postinstall): converts the bundled TF.js models to ONNX beside their manifests.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONVERTER_VERSION, readTfjsSource } from '../src/main/models/convert/weights';
import type { Int8Ranges } from '../src/main/models/convert/ops';

// --root points the script at another checkout-shaped folder (resources/models + node_modules); tests use it.
const rootFlag = process.argv.indexOf('--root');
const root =
  rootFlag >= 0 && process.argv[rootFlag + 1]
    ? resolve(process.argv[rootFlag + 1]!)
    : resolve(dirname(fileURLToPath(import.meta.url)), '..');
const modelsDir = join(root, 'resources', 'models');
const cachePath = join(modelsDir, '.cache.json');

interface Manifest {
  id: string;
  file: string;
  outputs: Record<string, string>;
  inputs: { anySize?: boolean }[];
  int8?: { convs: Int8Ranges };
  source?: { package: string; version: string; path: string; sha256: string };
}
interface CacheEntry {
  sha256: string;
  converter: number;
  bytes: number;
  /** The conversion options the manifest asks for (`anySize`, `int8` ranges), as JSON. */
  options?: string;
}

/** Writes next to the target, then renames: a crash never leaves a half-written file under the real name. */
function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function readCache(): Record<string, CacheEntry> {
  try {
    return JSON.parse(readFileSync(cachePath, 'utf8')) as Record<string, CacheEntry>;
  } catch {
    return {}; // no cache yet (first install) or an unreadable one: convert everything again
  }
}

async function main(): Promise<number> {
  const manifests = readdirSync(modelsDir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .map((f) => ({
      path: join(modelsDir, f),
      m: JSON.parse(readFileSync(join(modelsDir, f), 'utf8')) as Manifest,
    }))
    .filter(({ m }) => m.source);
  const cache = readCache();
  const converter = CONVERTER_VERSION;
  let converted = 0;
  for (const { path, m } of manifests) {
    const src = m.source!;
    const sourcePath = join(root, 'node_modules', src.package, src.path);
    const source = readTfjsSource(sourcePath);
    if (source.sha256 !== src.sha256) {
      throw new Error(
        `${sourcePath}: sha256 ${source.sha256} does not match ${path} (${src.sha256}); reinstall ${src.package}@${src.version}`,
      );
    }
    const target = join(modelsDir, m.file);
    const hit = cache[m.id];
    const options = { anySize: m.inputs.some((i) => i.anySize === true), int8: m.int8?.convs };
    const optionsKey = JSON.stringify(options);
    if (
      hit?.sha256 === source.sha256 &&
      hit.converter === converter &&
      hit.options === optionsKey &&
      existsSync(target) &&
      statSync(target).size === hit.bytes
    ) {
      continue;
    }
    const { convertTfjsModel } = await import('../src/main/models/convert');
    const result = convertTfjsModel(source, options);
    const names = result.outputs.map((o) => o.name).sort();
    const declared = Object.keys(m.outputs).sort();
    if (names.join('\n') !== declared.join('\n')) {
      throw new Error(
        `${path}: outputs [${declared.join(', ')}] differ from the converted model's [${names.join(', ')}]`,
      );
    }
    writeAtomic(target, result.onnx);
    cache[m.id] = { sha256: source.sha256, converter, bytes: result.onnx.byteLength, options: optionsKey };
    writeAtomic(cachePath, JSON.stringify(cache, null, 2) + '\n');
    converted++;
    console.log(
      `models: ${m.id} -> resources/models/${m.file} (${(result.onnx.byteLength / 1e6).toFixed(1)} MB)`,
    );
  }
  console.log(`models: ${converted} converted, ${manifests.length - converted} up to date`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`models: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
