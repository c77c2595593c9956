// The desktop app's fi-asset handler without Electron: the URL's query (mask source / version) reaches the asset
// resolver, images stream through the file fetcher, bad URLs and unknown ids answer 403 / 404.
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAssetResolver } from '../../../src/main/assets';
import { assetHandler, type FetchFile } from '../../../src/main/asset-response';
import { greyPng, labelMap, seedDataset, writeImage } from '../../helpers/datasets/generate';
import { tempStores } from '../../helpers/store';

const setup = tempStores('fi-asset-proto-');

/** What Electron's net.fetch does for a file URL, with Node's file API (Node's fetch has no file: scheme). */
const fetchFile: FetchFile = async (url) => new Response(await readFile(fileURLToPath(url)));

async function faceWithMasks() {
  const { dir, store } = setup();
  const root = join(dir, 'img');
  await writeImage(join(root, 'a.jpg'), 0, 32);
  const datasetId = await seedDataset(store, root);
  const image = store.images.page({ datasetId }).items[0]!;
  const box = { x: 0, y: 0, w: 32, h: 32 };
  const [imported, human1, human2] = await Promise.all([0, 1, 2].map((i) => greyPng(32, labelMap(32, i))));
  const faceId = store.write(() => {
    const id = store.annotations.insertFace(image.id, box);
    store.faces.addMask(id, { source: 'import', png: imported!, box, areas: null });
    store.faces.addMask(id, { source: 'human', png: human1!, box, areas: null });
    store.faces.addMask(id, { source: 'human', png: human2!, box, areas: null });
    return id;
  });
  const handle = assetHandler({ resolveAsset: createAssetResolver(store, join(dir, 'thumbs')) }, fetchFile);
  return { handle, faceId, imageId: image.id, root, pngs: { imported, human1, human2 } };
}

const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

describe('fi-asset handler', () => {
  it('passes the mask source and version of the URL to the resolver', async () => {
    const { handle, faceId, pngs } = await faceWithMasks();
    const get = (q: string) => handle(new Request(`fi-asset://mask/${faceId}${q}`));
    expect(await bytes(await get(''))).toEqual(pngs.human2);
    expect(await bytes(await get('?source=import'))).toEqual(pngs.imported);
    expect(await bytes(await get('?source=human&version=1'))).toEqual(pngs.human1);
    const missing = await get('?source=model');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/has no model mask/);
  });

  it('streams an image through the file fetcher with its type, and refuses bad URLs and methods', async () => {
    const { handle, imageId, root } = await faceWithMasks();
    const res = await handle(new Request(`fi-asset://image/${imageId}`));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(await bytes(res)).toEqual(await readFile(join(root, 'a.jpg')));
    expect((await handle(new Request('fi-asset://image/999'))).status).toBe(404);
    expect((await handle(new Request('fi-asset://image/1?path=/etc/passwd'))).status).toBe(403);
    expect((await handle(new Request('fi-asset://secret/1'))).status).toBe(403);
    expect((await handle(new Request(`fi-asset://image/${imageId}`, { method: 'POST' }))).status).toBe(405);
  });
});
