// Lint: recommended sets, Svelte, Prettier, and the layering rules of docs/architecture.md.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import svelteConfig from './svelte.config.js';

const nodeOnly = [
  ...builtinModules.flatMap((m) => [m, `node:${m}`]),
  'electron',
  'better-sqlite3',
  'pg',
  'onnxruntime-node',
  'sharp',
];
// A file matches at most one boundary: rule options replace, not merge.
const boundaries = [
  {
    files: ['src/shared/**'],
    names: nodeOnly,
    groups: ['**/main/**', '**/preload/**', '**/renderer/**'],
    why: 'src/shared runs everywhere.',
  },
  {
    files: ['src/renderer/**'],
    names: nodeOnly,
    groups: ['**/main/**', '**/preload/**'],
    why: 'The renderer reaches main only via its api client.',
  },
  {
    files: ['src/main/**'],
    ignores: ['src/main/index.ts', 'src/main/electron/**', 'src/main/store/**'],
    names: ['electron', 'better-sqlite3', 'pg', 'pg-boss'],
    groups: ['**/renderer/**', '**/preload/**', '**/electron/**'],
    why: "'electron' belongs to main/electron, SQLite and PostgreSQL (and pg-boss) to main/store.",
  },
  {
    files: ['src/preload/**', 'src/main/index.ts', 'src/main/electron/**', 'src/main/store/**'],
    names: [],
    groups: ['**/renderer/**', '**/preload/**'],
    why: 'No imports across processes.',
  },
];
// The UI process's service code (main's API handlers) answers every call inline, so it may import only light
// modules: shared/, store/, constraints/, review/, the learning ranking and identity thresholds, the release-file
// finder, its own files, settings and log. Heavy work (analysis, models, identity clustering, training, annotation formats) runs in
// the job process as a job kind; type-only imports are free. Relative specifiers are matched after their ./ ../
const serviceMayImport = [
  'shared',
  'store',
  'constraints',
  'review',
  'service',
  'settings',
  'log',
  'learning/ranking$',
  'learning/identity-params$',
  'jobs/params$',
  'datasets/formats/release$',
  // The MLLM report is one pass over the stored answers (like stats.agreement); the key store reads one file.
  'mllm/report$',
  'mllm/secrets$',
];
const serviceImports = {
  files: ['src/main/service.ts', 'src/main/service/**'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        paths: ['onnxruntime-node', 'sharp', 'node:worker_threads', 'node:child_process'].map((name) => ({
          name,
          message: 'Heavy work runs in the job process, not in the UI process.',
          allowTypeImports: true,
        })),
        patterns: [
          {
            regex: `^(?:\\.\\.?/)+(?!\\.)(?!(?:${serviceMayImport.join('|')})(?:/|$))`,
            message:
              'The UI process service code imports only shared, store, constraints, review, learning/ranking, ' +
              'learning/identity-params, jobs/params, datasets/formats/release, mllm/report, mllm/secrets, ' +
              'service, settings and log ' +
              '(eslint.config.js): run heavy work as a job kind.',
            allowTypeImports: true,
          },
        ],
      },
    ],
  },
};
const sql = '/^\\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA)\\s/';
const layering = [
  ...boundaries.map(({ files, ignores = [], names, groups, why }) => ({
    files,
    ignores,
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: names.map((name) => ({ name, message: why })), patterns: [{ group: groups, message: why }] },
      ],
    },
  })),
  {
    files: ['src/**'],
    ignores: ['src/main/store/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: `Literal[value=${sql}], TemplateElement[value.raw=${sql}]`,
          message: 'SQL lives in src/main/store/repositories.',
        },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'release/', 'test-results/', 'resources/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        extraFileExtensions: ['.svelte'],
        parser: tseslint.parser,
        svelteConfig,
      },
    },
  },
  ...layering,
  serviceImports,
  prettier,
  ...svelte.configs.prettier,
);
