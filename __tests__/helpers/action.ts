import type { ActionRun } from '../../scripts/local-runner.js';

export {
  actionYml,
  parseOutputFile,
  runAction,
  type ActionRun,
  type RunOptions,
} from '../../scripts/local-runner.js';

/**
 * Lines of stdout that the runner would take as workflow commands: `::name ...::` at the start
 * (after white space), or `##[` anywhere.
 */
export function workflowCommands(stdout: string): string[] {
  return stdout.split(/\r?\n/).filter((line) => /^\s*::/.test(line) || line.includes('##['));
}

/** The command names among those lines (`add-mask`, `error`, `group`...). */
export function commandNames(stdout: string): string[] {
  return workflowCommands(stdout).map((line) => /^\s*::([^\s:]+)/.exec(line)?.[1] ?? '##[');
}

/**
 * Asserts the secret appears nowhere but in the one `::add-mask::` command that masks it:
 * not in any other log line, stderr, outputs or the summary.
 */
export function leaks(run: ActionRun, secret: string): string[] {
  const places: string[] = [];
  const lines = run.stdout.split(/\r?\n/).filter((line) => line !== `::add-mask::${secret}`);
  if (lines.some((line) => line.includes(secret))) places.push('stdout');
  if (run.stderr.includes(secret)) places.push('stderr');
  if (Object.values(run.outputs).some((v) => v.includes(secret))) places.push('outputs');
  if (run.summary.includes(secret)) places.push('summary');
  return places;
}
