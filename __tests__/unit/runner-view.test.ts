/** What a local run (demo, try) prints of the action's log: commands as the runner shows them. */
import { describe, expect, it } from '@jest/globals';
import { workflowCommand } from '../../src/runner/protocol.js';
import { asRunnerShows } from '../../scripts/local-runner.js';

describe('asRunnerShows', () => {
  it('shows a command message with % and new lines as the runner does, not as %25 and %0A', () => {
    const line = workflowCommand('error', 'itl-p50 rose +30.0% (95% interval)\nsecond line', {
      title: 'Serving regressed: 50%, now',
    });
    expect(line).toContain('%25');
    expect(asRunnerShows(line)).toBe(
      '::error title=Serving regressed: 50%, now::itl-p50 rose +30.0% (95% interval)\nsecond line',
    );
  });

  it('leaves a plain log line as it is, a literal %25 in it too', () => {
    expect(asRunnerShows('Done: 100%25 of 16 requests')).toBe('Done: 100%25 of 16 requests');
  });

  it('undoes each escape once: a message holding the text %0A keeps it', () => {
    expect(asRunnerShows(workflowCommand('notice', 'a literal %0A stays'))).toBe(
      '::notice::a literal %0A stays',
    );
  });
});
