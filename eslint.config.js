// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The dependency rule: the workspace packages each package may import. One way only:
 * semconv ← prompt ← sdk; semconv, prompt ← clickhouse ← collector, cli (the CLI also runs the
 * collector in-process for `promptline up`). The services never import the SDK. An import of any
 * other @promptline package from a package's src/ or test/ fails `pnpm lint`.
 * ARCHITECTURE.md ("Packages and their rule") states the same table.
 */
export const ALLOWED_IMPORTS = {
  semconv: [],
  prompt: ['semconv'],
  sdk: ['semconv', 'prompt'],
  clickhouse: ['semconv', 'prompt'],
  collector: ['semconv', 'prompt', 'clickhouse', 'console'],
  cli: ['semconv', 'prompt', 'clickhouse', 'collector'],
  // A browser bundle: it reaches the collector over HTTP only. The collector serves its built files.
  console: [],
};

const dependencyRule = Object.entries(ALLOWED_IMPORTS).map(([pkg, allowed]) => {
  const forbidden = Object.keys(ALLOWED_IMPORTS).filter((p) => p !== pkg && !allowed.includes(p));
  const may =
    allowed.length === 0 ? 'no other @promptline package' : allowed.map((p) => `@promptline/${p}`).join(', ');
  const message = `@promptline/${pkg} may import ${may} (dependency rule: eslint.config.js, ARCHITECTURE.md).`;
  // `import()` and `require()` of a forbidden package, which no-restricted-imports does not see.
  const source = `/^@promptline\\/(${forbidden.join('|')})(\\/|$)/`;
  return {
    files: [`packages/${pkg}/src/**/*.ts`, `packages/${pkg}/src/**/*.tsx`, `packages/${pkg}/test/**/*.ts`],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: `ImportExpression[source.value=${source}]`, message },
        { selector: `CallExpression[callee.name="require"][arguments.0.value=${source}]`, message },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: forbidden.flatMap((p) => [`@promptline/${p}`, `@promptline/${p}/*`]),
              message,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/.scratch/**',
      '**/node_modules/**',
      '**/.promptline/**',
      'coverage/**',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['vitest.config.ts', 'eslint.config.js'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...dependencyRule,
  {
    // Library code logs through each package's logger, never the console.
    files: ['packages/*/src/**/*.ts', 'packages/*/src/**/*.tsx'],
    ignores: ['packages/cli/src/**'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
