// A user's face-parsing model run on an image region gives a canonical label map (classMap applied) as a PNG.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import sharp from 'sharp';
import { PARSING_CLASSES } from '../../../src/shared/taxonomy';
import { loadRegistry } from '../../../src/main/models/registry';
import { ModelRuntime } from '../../../src/main/models/runtime';
import { findParsingModel, parseRegion } from '../../../src/main/models/parsing';
import { BISENET_CLASS_MAP, PARSER_CLASSES, writeParsingModel } from '../../helpers/models/parsing-model';
import { ROOT, tempDir } from '../../helpers/fs';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

describe('parseRegion with a BYO parsing model', () => {
  it('maps each band of the input to its class through the manifest', async () => {
    // The test model's class is round(first input channel); scale = 18/255 turns red = 255·k/18 into class k.
    await writeParsingModel(join(dir, 'models'), {
      manifest: {
        inputs: [
          {
            name: 'input',
            layout: 'NCHW',
            size: [512, 512],
            channels: 3,
            normalisation: 'red · 18/255',
            scale: 18 / 255,
          },
        ],
      },
    });
    const registry = await loadRegistry({
      bundledDir: join(ROOT, 'resources', 'models'),
      userDir: join(dir, 'models'),
    });
    const entry = findParsingModel(registry.list());
    expect(entry?.id).toBe('my-parser');
    const runtime = new ModelRuntime({ registry, dataDir: dir, provider: 'cpu' });

    // 800 × 760 image; the region (100, 50, 600, 570) holds 19 horizontal bands of 30 px.
    const w = 800;
    const h = 760;
    const rgb = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      const k = Math.min(PARSER_CLASSES - 1, Math.max(0, Math.floor((y - 50) / 30)));
      for (let x = 0; x < w; x++) rgb[(y * w + x) * 3] = Math.round((255 * k) / 18);
    }
    const image = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer();
    const res = await parseRegion(runtime, entry!, image, { x: 100, y: 50, w: 600, h: 570 });
    expect(res.box).toEqual({ x: 100, y: 50, w: 600, h: 570 });
    expect(res.classes.sort()).toEqual([...PARSING_CLASSES].sort());
    expect((await sharp(res.png).metadata()).channels).toBe(1);
    const { data, info } = await sharp(res.png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([512, 512]);
    // Middle row of each band (away from resampled edges) carries that band's class, in canonical ids.
    for (let k = 0; k < PARSER_CLASSES; k++) {
      const row = Math.round(((k * 30 + 15) * 512) / 570);
      const expected = PARSING_CLASSES.indexOf(
        BISENET_CLASS_MAP[String(k)] as (typeof PARSING_CLASSES)[number],
      );
      expect(data[row * 512 + 256], `band ${k}`).toBe(expected);
    }
    await runtime.dispose();
  });

  it('refuses a region outside the image', async () => {
    const registry = await loadRegistry({
      bundledDir: join(ROOT, 'resources', 'models'),
      userDir: join(dir, 'models'),
    });
    const runtime = new ModelRuntime({ registry, dataDir: dir, provider: 'cpu' });
    const image = await sharp({ create: { width: 50, height: 50, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    await expect(
      parseRegion(runtime, findParsingModel(registry.list())!, image, { x: 60, y: 60, w: 10, h: 10 }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await runtime.dispose();
  });
});
