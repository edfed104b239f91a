// ESLint 9 flat config: typescript-eslint's type-aware rules over TypeScript (each file checked against the
// tsconfig that owns it: the root one, or src/http/status-page/'s DOM one), and the core rules over JavaScript.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'coverage/', 'test-output/', '.bench-tmp/', 'docs/', 'test/package/fixtures/']),
  // Until issue 13's final pass: src/ is being moved by another branch, so only the status page's files are
  // linted there for now. The final pass deletes this entry (src/ had 55 findings when it was added).
  globalIgnores(['src/**/*.ts', '!src/http/status-page.ts', '!src/http/status-page/**'], 'until the final pass of issue 13'),
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
