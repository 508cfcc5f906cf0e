import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The pure core must not touch the machine: no processes, files or sockets.
const pureCore = [
  'src/model/**',
  'src/parse/**',
  'src/policy/**',
  'src/compile/**',
  'src/plan/**',
  'src/sim/**',
  'src/export/**',
  'src/apply/**',
  'src/proof/**',
  'src/tls/**',
  'src/doctor/**',
  'src/migrate/**',
  'src/backend/**',
];
const ioModules = ['child_process', 'fs', 'fs/promises', 'net', 'tls', 'http', 'https', 'dgram'].flatMap(
  (m) => [m, `node:${m}`],
);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: pureCore,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({
            name,
            message:
              'The pure core does no I/O: pass results in, or move this to src/host, src/docker or src/cli.',
          })),
          patterns: [
            {
              group: ['**/cli/**', '**/host/**', '**/docker/**'],
              message: 'The pure core must not import the shell.',
            },
          ],
        },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['src/**'],
    ignores: ['src/cli/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Only the CLI sets exit codes.' },
      ],
    },
  },
  {
    // bin/dockwall.js is CommonJS (bin/package.json): it starts faster than an ES module.
    files: ['bin/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
