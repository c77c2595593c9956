// Browser mode: the status bar shows where inference runs and why, from the API, per model on click.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseExecutionProvider,
  epCachePath,
  machineKey,
  supportedBackends,
} from '../../src/main/models/ep';
import { launchBrowser, openPage } from '../helpers/e2e/browser';
import { tempDir } from '../helpers/e2e/samples';
import { ROOT, startServer, type RunningServer } from '../helpers/e2e/server';

describe('status bar (browser mode)', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const data = tempDir('data');
  const provider = () => page.getByTestId('status-provider').innerText();

  beforeAll(async () => {
    server = await startServer(data.path);
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser, server.url));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    data.remove();
  });

  it('says the provider is not decided before the first analysis', async () => {
    await expect.poll(provider, { timeout: 20_000 }).toBe('not decided yet');
    expect(await page.getByTestId('status-ep').getAttribute('title')).toBe(
      'chosen at the first analysis (setting: auto)',
    );
  });

  it("shows this machine's real decision and its reason once the runtime made it", async () => {
    // What the job process's runtime does at its first model load: decide for this machine and cache it.
    const decision = await chooseExecutionProvider('auto', { dataDir: data.path });
    await page.getByTestId('status-ep').click();
    await expect.poll(provider).toBe(decision.provider);
    const details = page.getByTestId('status-details');
    await expect.poll(() => details.innerText()).toContain(decision.reason);
    expect(await details.innerText()).toContain(`Every model runs on ${decision.provider}.`);
    await page.getByTestId('status-ep').click();
    expect(await details.count()).toBe(0);
  });

  it('lists per-model decisions where auto uses a GPU for some models only', async () => {
    // A GPU machine's cache as the runtime writes it (recorded from the decision table: faceres faster, emotion slower).
    const key = machineKey(supportedBackends().map((b) => b.name));
    const at = Date.now();
    const model = (modelId: string, p: string, reason: string) => ({
      modelId,
      hash: 'c'.repeat(64),
      provider: p,
      reason,
      checkedAt: at,
      gpu: 'webgpu',
    });
    mkdirSync(data.path, { recursive: true });
    writeFileSync(
      epCachePath(data.path),
      JSON.stringify({
        version: 1,
        machines: {
          [key]: {
            provider: 'webgpu',
            requested: 'auto',
            reason: 'webgpu on GPU nvidia (/dev/nvidia0)',
            checkedAt: at,
          },
        },
        models: {
          [key]: {
            faceres: model(
              'faceres',
              'webgpu',
              'webgpu 3.1x faster than CPU (4.00 ms vs 12.40 ms on CPU per batch of 8)',
            ),
            emotion: model(
              'emotion',
              'cpu',
              'webgpu is not faster on this model (3.40 ms vs 1.20 ms on CPU per batch of 8); using CPU',
            ),
          },
        },
      }),
    );
    await page.getByTestId('status-ep').click();
    await expect.poll(provider).toBe('webgpu (1/2 models)');
    const rows = page.getByTestId('status-details').locator('tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).innerText()).toMatch(/^emotion\s+cpu\s+webgpu is not faster/);
    expect(await rows.nth(1).innerText()).toMatch(/^faceres\s+webgpu\s+webgpu 3\.1x faster/);
    expect(await page.getByTestId('status-ep').getAttribute('title')).toBe(
      'webgpu on GPU nvidia (/dev/nvidia0)\nemotion: cpu\nfaceres: webgpu',
    );
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'status-bar.png') });
    expect(problems).toEqual([]);
  });
});
