// @ts-check
/**
 * `npm run lint`: the whole repository, type-aware, with typescript-eslint's strict type-checked set.
 * The promise rules are why it is here; the rules turned off below fight a deliberate pattern.
 */
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'docs/', 'coverage/', 'bench/.build/'] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      // tsconfig.eslint.json adds what tsconfig.json leaves out: bench/, the .mjs files, this file.
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A `let` a callback reads before its one assignment (`watch = actor.subscribe(...)`) must stay `let`: a const would be in its TDZ.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A promise left floating in the refresh cycle is a lost error or a race.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // With noUncheckedIndexedAccess, `xs[i]!` after a bounds check is the deliberate idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Interfaces declare closures in method shorthand; no object here is bound to `this`.
      '@typescript-eslint/unbound-method': 'off',
      // Numbers, booleans and absent values print as meant in messages; objects and `any` still may not.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true, allowRegExp: true },
      ],
      // `return log(...)` as an early exit and `() => (clearTimeout(timer), resolve())` are house style.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // It reads flags set by callbacks or across an `await` as constants, and boundary checks as dead code.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Handing on a caught or emitted error as it came (`reject(error)`) invents no non-Error reason.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // An `async` stub of a Promise-returning interface turns a throw into a rejection: that is its point.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore marks a binding kept for its position, or to drop a field from a rest.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['test/**'],
    rules: {
      // Vitest's asymmetric matchers (`expect.stringContaining`) are typed `any`; tests parse JSON they wrote.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
    rules: {
      // Plain JavaScript declares no types: to the checker every value there is `any`.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
);
