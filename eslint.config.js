// Lint: type-aware rules plus the import floors of docs/ARCHITECTURE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Folders a floor may not import from, relative to src/. */
const floors = {
  core: ['hashing', 'persistence', 'providers', 'engine', 'element', 'server', 'emulator'],
  hashing: ['persistence', 'providers', 'engine', 'element', 'server', 'emulator'],
  persistence: ['hashing', 'providers', 'engine', 'element', 'server', 'emulator'],
  providers: ['hashing', 'persistence', 'engine', 'element', 'server', 'emulator'],
  engine: ['providers', 'element', 'server', 'emulator'],
  element: ['server', 'emulator'],
  server: ['hashing', 'persistence', 'providers', 'engine', 'element', 'emulator'],
  emulator: ['core', 'hashing', 'persistence', 'providers', 'engine', 'element', 'server'],
};

const floorRules = Object.entries(floors).map(([floor, banned]) => ({
  files: [`src/${floor}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        ...banned.map((b) => ({ group: [`../${b}/*`, `../../${b}/*`, `../${b}`, `../../${b}`], message: `src/${floor} must not import src/${b} (import floors, docs/ARCHITECTURE.md)` })),
        ...(floor === 'engine' || floor === 'server' || floor === 'emulator' ? [{ group: ['lit', 'lit/*'], message: `src/${floor} must not import lit` }] : []),
      ],
    }],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.data', 'bench/results', 'custom-elements.json', '.puppeteerrc.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // node:test's describe/it/test return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
      }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'CallExpression[callee.property.name="only"]', message: 'no .only in committed tests' }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['scripts/**', '*.mjs', '*.js', 'test/support/**', 'bench/**'], languageOptions: { globals: { ...globals.node } } },
  ...floorRules,
);
