// `npm run bench -- formats [rows]`: a CelebA-sized list_attr_celeba.txt imported and exported; seconds, peak RSS.
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CELEBA_ATTRIBUTES } from '../../src/shared/taxonomy';
import { parseRulesOrThrow } from '../../src/shared/rules';
import { openStore } from '../../src/main/store/index';
import { importAnnotations } from '../../src/main/datasets/formats/import';
import { exportDataset } from '../../src/main/datasets/formats/export';
import { engineFor } from '../../src/main/constraints/index';

const rows = Number(process.argv[2] ?? 202_599);
const dir = mkdtempSync(join(tmpdir(), 'fi-bench-formats-'));
const names = Array.from({ length: rows }, (_, i) => `${String(i + 1).padStart(6, '0')}.jpg`);

async function writeAttrFile(file: string): Promise<void> {
  const ws = createWriteStream(file);
  let buf = `${rows}\n${CELEBA_ATTRIBUTES.join(' ')}\n`;
  for (let i = 0; i < rows; i++) {
    let line = names[i] as string;
    // A fixed pseudo-random pattern: realistic spread of +1 / -1 per attribute.
    for (let j = 0; j < CELEBA_ATTRIBUTES.length; j++)
      line += ((i * 2654435761 + j * 40503) >>> 13) % 4 === 0 ? '  1' : ' -1';
    buf += line + '\n';
    if (buf.length > 1 << 20) {
      if (!ws.write(buf)) await once(ws, 'drain');
      buf = '';
    }
  }
  ws.end(buf);
  await once(ws, 'finish');
}

try {
  const attr = join(dir, 'list_attr_celeba.txt');
  await writeAttrFile(attr);
  const store = openStore(join(dir, 'bench.db'));
  // Untimed: the images rows a folder import would have recorded (no files needed), and the default rules.
  const datasetId = store.write(() => {
    const id = store.datasets.insert({
      name: 'celeba-bench',
      root: join(dir, 'img_align_celeba'),
      format: 'folder',
    });
    for (const relPath of names) {
      store.images.upsert({
        datasetId: id,
        relPath,
        sha256: null,
        width: 178,
        height: 218,
        status: 'ok',
        error: null,
        sizeBytes: null,
        mtimeMs: null,
      });
    }
    const text = readFileSync(resolve(import.meta.dirname, '../../resources/rules/default.rules'), 'utf8');
    const lines = text.split(/\r?\n/);
    store.rules.replaceAll(
      parseRulesOrThrow(text).map((r) => ({
        key: r.id,
        severity: r.severity,
        text: lines[r.line - 1] as string,
        enabled: true,
      })),
    );
    return id;
  });

  // CPU seconds beside wall seconds: on a shared 2-core machine the wall clock also counts other processes.
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let t = performance.now();
  let c = cpu();
  const imported = await importAnnotations(store, { datasetId, format: 'celeba', annotations: attr });
  const importSeconds = (performance.now() - t) / 1000;
  const importCpuSeconds = cpu() - c;
  t = performance.now();
  const rules = engineFor(store).refreshLabelViolations(datasetId);
  const rulesSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  c = cpu();
  const out = join(dir, 'out');
  await exportDataset(store, { datasetId, format: 'celeba', out });
  const exportSeconds = (performance.now() - t) / 1000;
  const exportCpuSeconds = cpu() - c;
  const identical = readFileSync(join(out, 'list_attr_celeba.txt')).equals(readFileSync(attr));
  store.close();
  const result = {
    suite: 'formats',
    rows,
    attrFileMB: +(statSync(attr).size / 1e6).toFixed(1),
    labels: imported.labels,
    importSeconds: +importSeconds.toFixed(2),
    importCpuSeconds: +importCpuSeconds.toFixed(2),
    rulesSeconds: +rulesSeconds.toFixed(2),
    violations: rules.violations,
    exportSeconds: +exportSeconds.toFixed(2),
    exportCpuSeconds: +exportCpuSeconds.toFixed(2),
    loadAverage: +loadavg()[0]!.toFixed(1),
    roundTripIdentical: identical,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  console.error(
    `import ${result.importSeconds} s, rules ${result.rulesSeconds} s, export ${result.exportSeconds} s`,
  );
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
