/**
 * One suite for unit tests (*.spec.ts beside the code) and integration/HTTP tests (test/**).
 * DATABASE_URL set → integration tests use that PostgreSQL server (a fresh database per file);
 * unset → an in-memory PGlite per file. NestJS 12 ships ESM only; jest runs CommonJS, so
 * test/support/esm-to-cjs.transform.js compiles ESM files from node_modules on the fly.
 * `npm test` (test/run-tests.js) runs this suite, then the admin UI's vitest tests.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  // The admin UI (React, ESM, DOM) has its own runner: vitest with apps/admin/vitest.config.mts.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/apps/admin/', '<rootDir>/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    '^.+\\.m?js$': '<rootDir>/test/support/esm-to-cjs.transform.js',
  },
  transformIgnorePatterns: [],
  moduleNameMapper: {
    '^@leadline/core$': '<rootDir>/libs/core/src',
    '^@leadline/core/(.*)$': '<rootDir>/libs/core/src/$1',
    '^@leadline/channels$': '<rootDir>/libs/channels/src',
    '^@leadline/channels/(.*)$': '<rootDir>/libs/channels/src/$1',
    '^@leadline/contracts$': '<rootDir>/libs/contracts/src',
  },
  // A PGlite hub migrates its in-memory database at start (tens of seconds on a busy 2-core machine).
  testTimeout: 120_000,
  maxWorkers: 2,
};
