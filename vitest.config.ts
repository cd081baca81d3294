import { defineConfig } from 'vitest/config';

// Two projects: unit tests run alone; integration tests share one real CoreNLP and one real Neo4j,
// started once by test/global-setup.ts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{src,pipeline,scripts}/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{src,pipeline,scripts}/**/*.integration.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          // Starting a JVM service takes seconds to tens of seconds on two busy cores.
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
