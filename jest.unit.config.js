/**
 * The unit tests alone: no store process, no gateway, no network (`npm run test:unit`, seconds).
 * `npm test` runs them too, with everything else (jest.config.js).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest reads CommonJS configs; this one extends the other
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/unit'],
  globalSetup: undefined,
  globalTeardown: undefined,
};
