const tsJest = ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.jest.json' }];
const moduleNameMapper = {
  '^@platform/(contracts|auth|agent-registry|runtime)$': '<rootDir>/libs/$1/src',
  // The tracing bootstrap alone (apps import it before anything else: see libs/runtime/src/telemetry/tracing.ts).
  '^@platform/tracing$': '<rootDir>/libs/runtime/src/telemetry/tracing',
};
const common = {
  rootDir: '.',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper,
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.stack/'],
};
// The fault suite (docs/reliability.md) kills and restarts servers of its own; it runs with every
// `npm test` (CI included). TEST_FAULTS=0 leaves it out of a local run.
const wantFaults = process.env.TEST_FAULTS !== '0';
export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/deploy/**/*.spec.ts', '<rootDir>/test/faults/**/*.spec.ts'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    // The debug console in a real browser (Playwright driving Debian's Chromium; see test/browser/).
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
    ...(wantFaults ? [{ ...common, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'] }] : []),
  ],
};
