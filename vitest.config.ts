import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources (the `@promptline/source`
// export condition), so no build is needed between an edit and a test run. Tests that
// exercise packaging run the built artefacts explicitly.
const conditions = ['@promptline/source', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@promptline/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // chdb allows one engine (one data directory) per process: every test file gets its own process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
