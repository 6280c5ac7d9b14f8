import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import process from 'node:process';

// The black-box tests write here which Node ran the action (scripts/action-node.ts); set before
// Jest starts its workers, which inherit it.
const NOTE_FILE = path.join(tmpdir(), `nf-action-node-${process.pid}.json`);
process.env.ACTION_NODE_NOTE_FILE = NOTE_FILE;

/**
 * A one-line tally on stdout after Jest's own report, which goes to stderr: log scrapers and
 * people skimming CI output get the result where they look for it.
 */
export default class SummaryReporter {
  /** Forgets a previous run's note. */
  onRunStart() {
    rmSync(NOTE_FILE, { force: true });
  }

  /** Prints, once every suite has run, which Node ran the bundled action, then the totals. */
  onRunComplete(_contexts, results) {
    let note;
    try {
      note = JSON.parse(readFileSync(NOTE_FILE, 'utf8'));
      rmSync(NOTE_FILE, { force: true });
    } catch {
      // No black-box test ran.
    }
    if (note) (note.fallback ? process.stderr : process.stdout).write(`${note.note}\n`);
    const { numPassedTests, numFailedTests, numPendingTests, numTotalTestSuites } = results;
    const failedSuites = results.numFailedTestSuites + results.numRuntimeErrorTestSuites;
    process.stdout.write(
      `Tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests} skipped ` +
        `(${numTotalTestSuites} suites, ${failedSuites} failed)\n`,
    );
  }
}
