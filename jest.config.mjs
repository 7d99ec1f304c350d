const tsJest = ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.jest.json' }];
const moduleNameMapper = {
  '^@platform/(contracts|auth|agent-registry|runtime)$': '<rootDir>/libs/$1/src',
};
const common = {
  rootDir: '.',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper,
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.stack/'],
};
// The fault suite (issue 14) kills servers of its own and takes minutes: it is a project only when
// asked for (`npm run test:faults`, `--selectProjects faults`, or a path under test/faults), so the
// default `npm test` does not run it yet.
function faultsWanted(argv) {
  if (process.env.TEST_FAULTS === '1') return true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--selectProjects') {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) if (argv[++i] === 'faults') return true;
    } else if (/^--selectProjects=(.*,)?faults(,|$)/.test(argv[i]) || /(^|\/)test\/faults\/.*\.test\.ts$/.test(argv[i])) return true;
  }
  return false;
}
const wantFaults = faultsWanted(process.argv.slice(2));
export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/deploy/**/*.spec.ts', '<rootDir>/test/faults/**/*.spec.ts'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    ...(wantFaults ? [{ ...common, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'] }] : []),
  ],
};
