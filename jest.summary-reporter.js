import process from 'node:process';

/**
 * A one-line tally on stdout after Jest's own report, which goes to stderr: log scrapers and
 * people skimming CI output get the result where they look for it.
 */
export default class SummaryReporter {
  /** Prints the totals once every suite has run. */
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTotalTestSuites } = results;
    const failedSuites = results.numFailedTestSuites + results.numRuntimeErrorTestSuites;
    process.stdout.write(
      `Tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests} skipped ` +
        `(${numTotalTestSuites} suites, ${failedSuites} failed)\n`,
    );
  }
}
