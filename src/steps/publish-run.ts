/**
 * The last step of every run, whichever step ended it: the report made from what the run learnt,
 * then published: the outputs and the outcome's log line, the GitHub deployment's state, the pull
 * request comment, and the job summary that links it.
 */
import { formatDuration } from '../duration.js';
import { errorMessage } from '../errors.js';
import { buildReport } from '../report/build-report.js';
import { setOutputs } from '../report/outputs.js';
import type { RunReport } from '../report/report.js';
import { summaryMarkdown } from '../report/summary.js';
import type { Outcome, StepResult } from '../rollout/outcome.js';
import { commentStep } from './comment-on-pull-request.js';
import type { RunBase } from './context.js';
import { finishGitHubDeployment } from './github-deployment.js';

/**
 * Reports how the run ended; `requestCount` is what it asked of Northflank. Neither the comment
 * nor the summary changes the outcome. Resolves to the report, with the comment's note.
 */
export async function publishRun(
  run: RunBase,
  result: StepResult,
  requestCount: number,
): Promise<RunReport> {
  const elapsedMs = run.clock.now() - run.startedMs;
  const report = buildReport(result, run.record, run.tracker, elapsedMs, requestCount);
  publish(run, report);
  await finishGitHubDeployment(run, report);
  const prComment = await commentStep(run, report);
  const reported = prComment ? { ...report, prComment } : report;
  await writeSummary(run, reported);
  return reported;
}

/** Successes reported as a plain log line (not "Done in", not a warning). */
const QUIET_SUCCESSES: ReadonlySet<Outcome> = new Set<Outcome>([
  'not-waited',
  'dry-run',
  'updated',
  'unchanged',
]);

/** Sets the outputs and logs the outcome as the annotation it deserves. */
function publish(run: RunBase, report: RunReport): void {
  const { log } = run;
  try {
    setOutputs(run.outputs, report);
  } catch (error) {
    log.warning(`Some outputs could not be set: ${errorMessage(error)}`);
  }
  const took = formatDuration(report.elapsedMs);
  if (
    report.outcome === 'running' ||
    report.outcome === 'preview-deleted' ||
    report.outcome === 'swept'
  ) {
    log.info(`Done in ${took}: ${report.message}`);
  } else if (report.outcome === 'skipped') {
    log.notice(report.message, { title: report.title });
  } else if (QUIET_SUCCESSES.has(report.outcome)) {
    log.info(report.message);
  } else if (report.outcome === 'no-rollout') {
    log.warning(report.message, { title: 'No new rollout observed' });
  } else {
    log.error(report.message, { title: report.title });
  }
}

/** Writes the job summary; written last, so that it can link the pull request comment. */
async function writeSummary(run: RunBase, report: RunReport): Promise<void> {
  try {
    await run.summary.write(summaryMarkdown(report));
  } catch (error) {
    // A summary that cannot be written (no GITHUB_STEP_SUMMARY locally) must not fail a deploy.
    run.log.debug(`Job summary not written: ${errorMessage(error)}`);
  }
}
