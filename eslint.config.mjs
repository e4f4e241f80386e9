// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers (docs/architecture.md): each part of src/ may import only the parts named here,
 * all below it. `no-restricted-imports` refuses any other project import, type-only ones too.
 */
const PARTS = [
  'protocol',
  'errors',
  'log',
  'shares',
  'config',
  'local',
  'store',
  'storage',
  'auth',
  'metrics',
  'upkeep',
  'http',
  'gateway',
  'cluster',
  'main',
  'client',
  'cli',
  'tools',
];
const MAY_IMPORT = {
  'src/protocol/**': [],
  'src/errors.ts': ['protocol'],
  'src/log.ts': [],
  'src/shares.ts': ['errors'],
  'src/config.ts': ['protocol', 'errors'],
  'src/local/**': ['config', 'protocol', 'errors', 'log'],
  'src/store/**': ['config', 'protocol', 'errors', 'log', 'shares'],
  'src/storage/**': ['store', 'config', 'protocol', 'errors', 'log', 'shares'],
  'src/auth/**': ['storage', 'config', 'protocol', 'errors', 'log', 'shares'],
  'src/metrics.ts': ['store', 'protocol', 'errors', 'log', 'shares'],
  'src/upkeep.ts': ['storage', 'store', 'config', 'protocol', 'errors', 'log'],
  'src/http/**': ['auth', 'storage', 'store', 'metrics', 'config', 'protocol', 'errors', 'log', 'shares'],
  // The client and its CLI travel without the server: the protocol is all they share. (The CLI's
  // `token` command loads tools/localToken.js at run time, where the gateway's build has it.)
  'src/client/**': ['protocol'],
  'src/cli/**': ['client', 'protocol'],
};
const layerRules = Object.entries(MAY_IMPORT).map(([files, allowed]) => {
  const forbidden = PARTS.filter((part) => !allowed.includes(part) && !files.startsWith(`src/${part}`));
  // A file directly in src/ names a part with ./, one in a folder leaves it with ../.
  const reach = files.endsWith('/**') ? '(\\.\\./)+' : '\\./';
  return {
    files: [files],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${reach}(${forbidden.join('|')})(/|$)`,
              message: `${files} may import only ${allowed.join(', ') || 'nothing of the project'} (docs/architecture.md).`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/', 'packages/*/dist/', 'coverage/', 'node_modules/', 'minio/bin/', '.data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
  },
);
