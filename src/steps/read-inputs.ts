/**
 * The inputs step: every input read and validated into the settings before any request, and
 * what a user should know of them said once: what is given, what is ignored, what will not be
 * sent, and a job that would record its deployment twice.
 */
import { readSettings, targetAsGiven } from '../config/read-settings.js';
import type { Settings } from '../config/settings.js';
import { parseYaml } from '../config/structured.js';
import { formatDuration } from '../duration.js';
import { bothEnvironmentsWarning, findJobEnvironment } from '../runner/job-environment.js';
import { commentIgnoredReason } from './comment-on-pull-request.js';
import type { RunBase } from './context.js';

/** Reads the settings, records them on the run and logs what the user should know of them. */
export async function readInputs(run: RunBase): Promise<Settings> {
  const { log } = run;
  let settings: Settings;
  try {
    settings = await readSettings(run.inputs, {
      tokenMayBeEmpty: run.githubRun.isPullRequestEvent,
      githubRun: run.githubRun,
    });
  } catch (error) {
    run.record.target = targetAsGiven(run.inputs);
    throw error;
  }
  run.settings = settings;
  run.record.target = settings.target;
  run.record.dryRun = settings.dryRun;
  const { target, apiUrl } = settings;
  const fields = Object.keys(settings.update);
  // "Given", not "to change": what changes is the plan's to say, once the deployment is read.
  log.info(
    `Deployment ${target.projectId}/${target.deploymentId}${target.teamId ? ` in team ${target.teamId}` : ''} at ${apiUrl.origin}${apiUrl.pathname === '/' ? '' : apiUrl.pathname}; fields given: ${fields.join(', ') || 'none'}; timeout ${formatDuration(settings.timeoutMs)}${settings.dryRun ? '; dry run' : ''}.`,
  );
  for (const warning of settings.warnings) log.warning(warning, { title: 'Input ignored' });
  if (settings.nullSpecFields.length > 0) {
    log.notice(
      `Spec fields given as null are not sent: null means "not set", and Northflank merges a spec, so an update cannot unset a field. Left out: ${settings.nullSpecFields.join(', ')}. To change one, give a value; to clear it, do so in Northflank.`,
      { title: 'Null spec fields not sent' },
    );
  }
  const ignored = commentIgnoredReason(settings, run.githubRun);
  if (ignored) log.warning(ignored, { title: 'Input ignored' });
  if (settings.github) await warnOnTwoEnvironments(run, settings.github.environment);
  return settings;
}

/**
 * Warns when the job has a job-level environment as well as the environment input: GitHub and
 * the action would each record a deployment. Only when it can tell (see job-environment.ts).
 */
async function warnOnTwoEnvironments(run: RunBase, input: string): Promise<void> {
  const found = await findJobEnvironment(
    run.env,
    // The workspace's own reader: inside the workspace, a regular file, at most 1 MiB.
    (file) => run.inputs.readFile(file),
    parseYaml,
  );
  if (!found.known) {
    run.log.debug(`Cannot tell whether the job has a job-level environment: ${found.reason}.`);
    return;
  }
  const warning = bothEnvironmentsWarning(found, input, run.env.GITHUB_JOB ?? '');
  if (warning) run.log.warning(warning, { title: 'Two GitHub deployments per run' });
}
