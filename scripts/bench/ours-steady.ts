// The analyze bench's steady-state run of our analyzer, as its own process (like the peer's): the model threads
// started and every session loaded and run once on two warm-up photos, then the photos timed, `concurrency` at a
// time. Usage: tsx scripts/bench/ours-steady.ts <out.json> <ep> <concurrency> <batchSize> <dataDir> <photo>...
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAnalyzer } from '../../src/main/analysis/index';
import { ModelThreads } from '../../src/main/analysis/model-thread';
import { isExecutionProviderRequest } from '../../src/main/models/ep';
import { loadRegistry } from '../../src/main/models/registry';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [out, ep, concurrency, batchSize, dataDir, ...photos] = process.argv.slice(2);
if (!out || !ep || !dataDir || photos.length === 0 || !isExecutionProviderRequest(ep)) {
  throw new Error('usage: ours-steady.ts <out.json> <ep> <concurrency> <batchSize> <dataDir> <photo>...');
}
const models = join(ROOT, 'resources', 'models');
const registry = await loadRegistry({ bundledDir: models });
const threads = await ModelThreads.start({ bundledDir: models, dataDir, provider: ep });
const analyzer = createAnalyzer(threads.batching(registry, Number(batchSize)), {
  batchSize: Number(batchSize),
});
const runAll = async (list: string[]) => {
  let next = 0;
  let faces = 0;
  const worker = async () => {
    while (next < list.length) {
      // Awaited first: `faces += await …` would read `faces` before the await and lose the other workers' counts.
      const found = (await analyzer.analyze(list[next++]!)).faces.length;
      faces += found;
    }
  };
  await Promise.all(Array.from({ length: Number(concurrency) }, worker));
  return faces;
};
await runAll(photos.slice(0, 2));
const t = performance.now();
const faces = await runAll(photos);
const steadyMs = performance.now() - t;
await threads.close();
writeFileSync(out, JSON.stringify({ steadyMs, faces, modelThreads: threads.size }));
