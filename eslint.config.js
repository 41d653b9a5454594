import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layers of src/, lowest first: a folder imports only folders of a lower rank (or of its own
// rank where listed as such), and only through their index.ts. The files at the top of src/
// (assert, errors, constants, options, worker-url) are below every folder; broker.ts and
// index.ts are above every folder but cli/.
const layers = [
  ['records', 'ringbuffer'],
  ['shm', 'protocol'],
  ['segments'],
  ['actors', 'coordinator', 'security'],
  ['supervisor', 'transactions'],
  ['client'],
  ['door', 'remote', 'delay'],
  ['ops'],
  ['cli'],
];
const rankOf = new Map(layers.flatMap((names, rank) => names.map((name) => [name, rank])));
const folders = [...rankOf.keys()];

function importRules(own) {
  const patterns = [];
  for (const other of folders) {
    if (other === own) continue;
    if (own !== undefined && rankOf.get(other) >= rankOf.get(own) && own !== 'cli') {
      patterns.push({
        regex: `^(\\.\\./)+${other}/`,
        message: `src/${own}/ is below src/${other}/: imports run downward only.`,
      });
    } else {
      patterns.push({
        regex: `^(\\.\\./|\\./)+${other}/(?!index\\.js$)`,
        message: `import src/${other}/ through its index.ts.`,
      });
    }
  }
  if (own !== undefined && own !== 'cli') {
    patterns.push({ regex: '^(\\.\\./)+(broker|index)\\.js$',
      message: 'broker.ts and index.ts are above every folder but cli/.' });
  }
  return { 'no-restricted-imports': ['error', { patterns }] };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/**/generated/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly',
        clearInterval: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly',
        SharedArrayBuffer: 'readonly', Atomics: 'readonly', performance: 'readonly',
        TextEncoder: 'readonly', TextDecoder: 'readonly',
      },
    },
    rules: {
      'max-len': ['error', { code: 100, ignoreUrls: true, ignoreRegExpLiterals: true }],
      'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/no-unused-vars': ['error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  ...folders.map((own) => ({ files: [`src/${own}/**/*.ts`], rules: importRules(own) })),
  { files: ['src/*.ts'], rules: importRules(undefined) },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'max-lines-per-function': 'off' },
  },
);
