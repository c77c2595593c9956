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
    names: ['electron', 'better-sqlite3'],
    groups: ['**/renderer/**', '**/preload/**', '**/electron/**'],
    why: "'electron' belongs to main/electron, SQLite to main/store.",
  },
  {
    files: ['src/preload/**', 'src/main/index.ts', 'src/main/electron/**', 'src/main/store/**'],
    names: [],
    groups: ['**/renderer/**', '**/preload/**'],
    why: 'No imports across processes.',
  },
];
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
  prettier,
  ...svelte.configs.prettier,
);
