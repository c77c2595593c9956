// Builds the three bundles: main (Electron entry, CLI, job runner), preload (CJS for the sandbox), renderer.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
          'job-runner': resolve(__dirname, 'src/main/jobs/runner-entry.ts'),
          'model-thread': resolve(__dirname, 'src/main/analysis/model-thread-entry.ts'),
          // The PostgreSQL connection's thread (store/pg/sync-bridge.ts finds it next to the other entries).
          'pg-worker': resolve(__dirname, 'src/main/store/pg/worker-entry.ts'),
        },
      },
    },
  },
  preload: { build: { rollupOptions: { output: { format: 'cjs' } } } },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    base: './',
    resolve: { alias: { '@shared': resolve(__dirname, 'src/shared') } },
    build: { minify: true, assetsDir: 'static' },
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.js') })],
  },
});
