/**
 * The inputs action.yml declares, and a check of the names a step passes. The runner only warns
 * about a name it does not know ("Unexpected input(s)") and runs the step anyway, so a misspelt
 * `spec_file:` or `timout:` would deploy nothing or wait the default: the action stops instead.
 */
import { didYouMeanName } from '../closest.js';
import { InputError } from '../errors.js';

/** action.yml's inputs, in its order (a test keeps the two the same). */
export const INPUT_NAMES = [
  'api-token',
  'project-id',
  'deployment-id',
  'team-id',
  'name',
  'description',
  'tags',
  'ports',
  'spec',
  'spec-file',
  'allow-unknown-spec-fields',
  'api-url',
  'wait',
  'timeout',
  'poll-interval',
  'rollout-start-grace',
  'request-timeout',
  'force',
  'provisioning-timeout',
  'starting-timeout',
  'revert-on-failure',
  'revert-timeout',
  'dry-run',
  'environment',
  'pr-comment',
  'github-token',
  'smoke-test',
  'smoke-url',
  'smoke-timeout',
  'smoke-prompt',
  'smoke-api-key',
  'benchmark',
  'mode',
  'preview-tag',
  'preview-expiry',
  'preview-max-count',
  'preview-gpu-types',
  'preview-max-gpus',
  'preview-gpu-type',
  'preview-gpu-count',
  'preview-smoke-url',
] as const;

/** The runner's variable for an input: `INPUT_` and the name upper-cased, spaces as `_`. */
const variableName = (name: string): string => name.replace(/ /g, '_').toUpperCase();

/**
 * The names among `variables` (the environment's names) that are `INPUT_*` of no input this
 * action declares, lower-cased as a workflow would write them.
 */
export function unknownInputNames(variables: readonly string[]): string[] {
  const declared = new Set(INPUT_NAMES.map(variableName));
  return variables
    .filter((v) => v.startsWith('INPUT_') && v.length > 'INPUT_'.length)
    .map((v) => v.slice('INPUT_'.length))
    .filter((name) => !declared.has(name.toUpperCase()))
    .map((name) => name.toLowerCase())
    .sort();
}

/** Throws an InputError naming every input given that the action does not have, with a guess. */
export function checkInputNames(variables: readonly string[]): void {
  const unknown = unknownInputNames(variables);
  const [first, ...others] = unknown;
  if (first === undefined) return;
  const guess = (name: string): string => didYouMeanName(name, INPUT_NAMES);
  const also =
    others.length > 0
      ? ` Also not inputs of this action: ${others.map((n) => `"${n}"${guess(n)}`).join(', ')}.`
      : '';
  throw new InputError(
    first,
    `this action has no such input${guess(first)}. GitHub only warns about it ("Unexpected input") and runs the step without it, so the action stops here rather than deploy without it; the inputs are listed in docs/inputs.md.${also} (An env: variable named INPUT_${first.toUpperCase()} counts too.)`,
  );
}
