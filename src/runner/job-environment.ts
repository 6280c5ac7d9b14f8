/**
 * Whether the job running the action has a job-level `environment:`. The runner does not expose
 * it to steps (no variable or context holds it: actions/runner#1369), so the action reads the
 * workflow file itself, as checked out in the workspace, at the path GITHUB_WORKFLOW_REF names,
 * and looks up the job GITHUB_JOB names. Best effort: a reusable workflow, a workflow changed
 * since the checked-out commit, or no checkout at all, and it cannot tell (and says why).
 */
import * as path from 'node:path';

/** What the look-up found. */
export type JobEnvironment =
  | {
      known: true;
      /** The environment's name as written (an expression stays one). */ name: string;
    }
  | { known: true; name: undefined }
  | { known: false; /** Why it cannot tell, for a debug line. */ reason: string };

/** The runner's variables the look-up reads. */
export interface WorkflowEnv {
  GITHUB_WORKFLOW_REF?: string | undefined;
  GITHUB_REPOSITORY?: string | undefined;
  GITHUB_JOB?: string | undefined;
  GITHUB_WORKSPACE?: string | undefined;
}

/**
 * The workflow file's path in the repository: GITHUB_WORKFLOW_REF is
 * `owner/repo/.github/workflows/deploy.yml@refs/heads/main`. Undefined when the workflow belongs
 * to another repository (a reusable workflow's caller elsewhere) or the value is not of that form.
 */
export function workflowFilePath(workflowRef: string, repository: string): string | undefined {
  const prefix = `${repository}/`;
  if (!workflowRef.startsWith(prefix)) return undefined;
  const at = workflowRef.lastIndexOf('@');
  const file = workflowRef.slice(prefix.length, at < 0 ? undefined : at);
  return /^\.github\/workflows\/[^/]+\.ya?ml$/.test(file) ? file : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The job-level environment of `jobId` in a parsed workflow. Pure. */
export function jobEnvironmentIn(workflow: unknown, jobId: string): JobEnvironment {
  const job = isObject(workflow) && isObject(workflow.jobs) ? workflow.jobs[jobId] : undefined;
  if (!isObject(job)) return { known: false, reason: `the workflow has no job "${jobId}"` };
  if (job.uses !== undefined) {
    return { known: false, reason: `job "${jobId}" calls a reusable workflow` };
  }
  const environment = job.environment;
  if (typeof environment === 'string' && environment.trim() !== '') {
    return { known: true, name: environment };
  }
  if (isObject(environment) && typeof environment.name === 'string') {
    return { known: true, name: environment.name };
  }
  return { known: true, name: undefined };
}

/**
 * Looks up the running job's environment in the checked-out workflow file. `readText` reads a
 * file of the workspace; `parseYaml` parses it (the YAML parser is loaded only when needed).
 */
export async function findJobEnvironment(
  env: WorkflowEnv,
  readText: (absolutePath: string) => string,
  parseYaml: (text: string) => Promise<unknown>,
): Promise<JobEnvironment> {
  const { GITHUB_WORKFLOW_REF: ref, GITHUB_REPOSITORY: repo, GITHUB_JOB: job } = env;
  if (!ref || !repo || !job || !env.GITHUB_WORKSPACE) {
    return { known: false, reason: 'not running on a GitHub runner (no GITHUB_WORKFLOW_REF)' };
  }
  const file = workflowFilePath(ref, repo);
  if (!file) return { known: false, reason: `the workflow ${ref} is not in ${repo}` };
  let text: string;
  try {
    text = readText(path.join(env.GITHUB_WORKSPACE, file));
  } catch {
    return { known: false, reason: `${file} is not in the workspace (no checkout?)` };
  }
  try {
    return jobEnvironmentIn(await parseYaml(text), job);
  } catch {
    return { known: false, reason: `${file} could not be parsed` };
  }
}

/** The warning for a job that records its deployment twice; undefined when it does not. */
export function bothEnvironmentsWarning(
  found: JobEnvironment,
  input: string,
  job: string,
): string | undefined {
  if (!found.known || found.name === undefined) return undefined;
  return `The job "${job}" has a job-level environment ("${found.name}") and the action's environment input is set too ("${input}"): GitHub records a deployment for each, two per run. Remove the action's environment input and keep the job's environment, with url: \${{ steps.<id>.outputs.url }} to show the model's URL.`;
}
