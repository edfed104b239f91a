// ESLint 9 flat config: typescript-eslint's type-aware rules over TypeScript (each file checked against the
// tsconfig that owns it: the root one, or src/http/status-page/'s DOM one), and the core rules over JavaScript.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'api-docs/', 'coverage/', 'test-output/', '.bench-tmp/', 'docs/', 'test/package/fixtures/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.mts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Every promise is awaited, returned, or voided on purpose: an unhandled rejection is a crash.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A caught value is passed on as it was (the operation's own error is rethrown unchanged, as the seed
      // does), so rejecting with an `unknown` is allowed, as only-throw-error allows throwing one; a rejection
      // with a value known not to be an Error is still reported.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'smart'],
      // No focused or skipped test is left behind.
      'no-restricted-properties': [
        'error',
        ...['describe', 'it', 'test'].flatMap((object) =>
          ['only', 'skip', 'todo'].map((property) => ({ object, property, message: 'No .only, .skip or .todo may be committed.' })),
        ),
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests hand the system operations that must return promises; `async () => value` says so plainly.
      '@typescript-eslint/require-await': 'off',
      // vitest types its asymmetric matchers (expect.any, expect.objectContaining...) as `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/http/status-page/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
