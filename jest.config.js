import { createDefaultEsmPreset } from 'ts-jest';

/** Jest in native ESM: ts-jest transpiles only; `tsc --noEmit` does the type checking. */
export default {
  ...createDefaultEsmPreset({ tsconfig: 'tsconfig.json' }),
  testEnvironment: 'node',
  moduleNameMapper: {
    // The parser's own JSON imports lack `with { type: 'json' }`: load them through a module instead
    // of seeing Jest's deprecation warning (about the dependency's code, not ours) on every run.
    '^\\.\\./((?:workflow|action)-v1\\.0\\.min)\\.json$':
      '<rootDir>/__tests__/helpers/workflow-parser-json/$1.js',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  // Black-box tests spawn the bundle and talk to a real server; give them room on a 2-core machine.
  testTimeout: 30000,
  // One more worker than the 2 cores CI has: the black-box tests and the scenarios with real
  // streams spend most of their time waiting (timers, sockets, the bundle's process), so a third
  // worker fills that idle time (Jest ~70 s -> ~55 s on 2 cores) without starving the others.
  maxWorkers: 3,
  reporters: ['default', '<rootDir>/jest.summary-reporter.js'],
};
