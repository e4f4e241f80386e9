/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.[tj]s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // jose ships only ES modules; let the transform turn them into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // Dynamic import() of our own modules names the built file (`../config.js`); in tests the source is TypeScript.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  setupFiles: ['<rootDir>/test/support/quietSdk.ts'],
  testTimeout: 60_000,
  // Two cores: two test files at a time, each with its own gateway and bucket prefix on one MinIO.
  maxWorkers: 2,
};
