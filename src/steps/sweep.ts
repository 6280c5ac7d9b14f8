/**
 * The sweep, for a schedule: lists the project's deployments (every page), and deletes this
 * repository's previews that are past their expiry or whose pull request is closed, each waited
 * for until it is gone. Only what carries the preview tag, the marker naming this repository and
 * the preview name is ever deleted.
 */
import { errorMessage, PreviewError } from '../errors.js';
import { pullRequestState } from '../github/pull-request-state.js';
import type { StepResult } from '../rollout/outcome.js';
import {
  claimPreview,
  repositoryName,
  sweepDecision,
  type PullRequestState,
  type SweepDecision,
} from '../rollout/preview-identity.js';
import type { RunContext } from './context.js';
import { deleteAndWait } from './preview.js';

/** Lists, decides, deletes; the record holds a row per deployment for the summary. */
export async function sweepPreviews(ctx: RunContext): Promise<StepResult> {
  const { settings, log } = ctx;
  const p = settings.preview;
  if (!p) throw new Error('the sweep runs only with mode: sweep');
  const listed = await log.group('Listing the project', () => ctx.api.listDeployments());
  log.info(`${listed.length} deployment(s) in project ${ctx.target.projectId}.`);
  const states = new Map<number, PullRequestState>();
  const decisions: (SweepDecision & { result?: string })[] = [];
  for (const d of listed) {
    const claim = claimPreview(d, p.repository, p.tag, ctx.target.deploymentId);
    let state: PullRequestState | undefined;
    if (claim.ours && ctx.clock.now() < claim.marker.expiresMs && d.status !== 'deleting') {
      state =
        states.get(claim.marker.pullRequest) ?? (await askState(ctx, claim.marker.pullRequest));
      states.set(claim.marker.pullRequest, state);
    }
    decisions.push(sweepDecision(d, claim, state, ctx.clock.now()));
  }
  ctx.record.sweep = { decisions };
  const failures: string[] = [];
  for (const decision of decisions.filter((d) => d.action === 'delete')) {
    if (settings.dryRun) {
      decision.result = 'would be deleted (dry run)';
      continue;
    }
    try {
      const tookMs = await log.group(`Deleting ${decision.id}`, () =>
        deleteAndWait(ctx, ctx.api.forDeployment(decision.id), decision.id),
      );
      decision.result = tookMs === 0 ? 'gone already' : 'deleted';
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      decision.result = `not deleted: ${errorMessage(error)}`;
      failures.push(decision.result);
      log.error(errorMessage(error), { title: 'Preview not deleted' });
    }
  }
  return sweepResult(ctx, decisions, failures);
}

async function askState(ctx: RunContext, pullRequest: number): Promise<PullRequestState> {
  const p = ctx.settings.preview;
  const token = ctx.settings.githubToken;
  if (!p || !token) return { unknown: 'no github-token to ask GitHub with' };
  return pullRequestState(
    {
      apiUrl: ctx.githubRun.apiUrl,
      token,
      owner: p.repository.owner,
      repo: p.repository.repo,
      dispatcher: ctx.dispatcher,
      signal: ctx.signal,
      requestTimeoutMs: ctx.settings.requestTimeoutMs,
    },
    pullRequest,
  );
}

function sweepResult(
  ctx: RunContext,
  decisions: readonly (SweepDecision & { result?: string })[],
  failures: readonly string[],
): StepResult {
  const p = ctx.settings.preview;
  const deleted = decisions.filter((d) => d.action === 'delete');
  const kept = decisions.filter((d) => d.action === 'keep');
  const repo = p ? repositoryName(p.repository) : 'this repository';
  if (failures.length > 0) {
    throw new PreviewError(
      `The sweep could not delete ${failures.length} of ${deleted.length} preview(s) of ${repo}: ${failures.join('; ')}`,
      'Previews not deleted',
    );
  }
  const verb = ctx.settings.dryRun ? 'would delete' : 'deleted';
  return {
    outcome: 'swept',
    message: `Sweep of ${repo}'s previews: ${verb} ${deleted.length} (${deleted.map((d) => d.id).join(', ') || 'none'}), kept ${kept.length}${kept.length ? ` (${kept.map((d) => d.id).join(', ')})` : ''}; ${decisions.length - deleted.length - kept.length} other deployment(s) left alone.`,
    deployment: undefined,
  };
}
