import { createDefaultEsmPreset } from 'ts-jest';

/** Jest in native ESM: ts-jest transpiles only; `tsc --noEmit` does the type checking. */
export default {
  ...createDefaultEsmPreset({ tsconfig: 'tsconfig.json' }),
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  // Black-box tests spawn the bundle and talk to a real server; give them room on a 2-core machine.
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/jest.summary-reporter.js'],
};
