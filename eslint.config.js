import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['*.js', 'scripts/*.js', '__tests__/helpers/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Scripts and tests print to the console on purpose; the action itself must go through log.ts.
    files: ['scripts/**', 'bench/**', 'emulator/cli.ts', '__tests__/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['__tests__/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
