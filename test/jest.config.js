const path = require('node:path');

// Unit specs sit beside the code; e2e specs in test/ run once on SQLite and, when
// TEST_DATABASE_URL is set, once more on PostgreSQL (a fresh schema per test file).
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.jest.json' }] };
const base = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: path.join(__dirname, '..'),
  transform,
  testEnvironment: 'node',
};

const e2e = (database) => ({
  ...base,
  displayName: `e2e-${database}`,
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  setupFiles: [`<rootDir>/test/utils/use-${database}.ts`],
});

module.exports = {
  rootDir: path.join(__dirname, '..'),
  testTimeout: 30000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    e2e('sqlite'),
    ...(process.env.TEST_DATABASE_URL ? [e2e('postgres')] : []),
  ],
};
