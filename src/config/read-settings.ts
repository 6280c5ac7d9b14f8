// Reading the inputs into Settings, once, up front; the YAML parser is loaded only if an input needs it.
import { InputError } from '../errors.js';
import type { InputSources } from '../runner/deps.js';
import { parseBenchmark } from './benchmark-input.js';
import { input } from './input.js';
import { checkInputNames } from './input-names.js';
import { parseModelEndpoint } from './model-endpoint.js';
import { parseMode, parsePreviewSettings } from './preview-settings.js';
import type { GitHubRun } from '../runner/event.js';
import { quote } from './quoting.js';
import {
  parseApiUrl,
  parseBoolean,
  parseDurationInput,
  parseId,
  parseOptionalDuration,
} from './scalars.js';
import {
  DEFAULT_API_URL,
  DEFAULT_POLL_INTERVAL,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_REVERT_TIMEOUT,
  DEFAULT_ROLLOUT_START_GRACE,
  DEFAULT_TIMEOUT,
  type Settings,
} from './settings.js';
import { loadYaml, YamlNeeded } from './structured.js';
import { parseUpdateBody, type SpecNotes } from './update-body.js';

/**
 * parseSettings, loading the YAML parser first if an input turns out to need it. Parsing is
 * pure but for reading `spec-file`, so running it again once the parser is there is safe.
 */
export async function readSettings(
  sources: InputSources,
  options: ParseOptions = {},
): Promise<Settings> {
  // The second pass must see the very text the first one read: each input and spec-file is read once.
  const values = new Map<string, string>();
  const files = new Map<string, string>();
  const masked = new Set<string>();
  const once: InputSources = {
    ...sources,
    getInput: (name) => {
      const value = values.get(name) ?? sources.getInput(name);
      values.set(name, value);
      return value;
    },
    // Masked once each, though the inputs may be parsed twice (again once YAML is loaded).
    setSecret: (value) => {
      if (masked.has(value)) return;
      masked.add(value);
      sources.setSecret(value);
    },
    readFile: (file) => {
      const text = files.get(file) ?? sources.readFile(file);
      files.set(file, text);
      return text;
    },
  };
  try {
    return parseSettings(once, options);
  } catch (error) {
    if (!(error instanceof YamlNeeded)) throw error;
    await loadYaml();
    return parseSettings(once, options);
  }
}

export interface ParseOptions {
  /**
   * Accept an empty api-token (Settings.apiToken is then ''): on a pull request event, where a
   * fork's run gets no secrets, the run is skipped rather than failed.
   */
  tokenMayBeEmpty?: boolean;
  /** The workflow run (its event and pull request), which a preview is made for. */
  githubRun?: GitHubRun;
}

/**
 * Reads and validates every input; throws InputError naming the input and the rule. An input
 * in YAML (not JSON) needs loadYaml() first; readSettings does that. The inputs are checked in
 * the order action.yml lists them, so the first one wrong is the one named.
 */
export function parseSettings(sources: InputSources, options: ParseOptions = {}): Settings {
  const apiToken = parseApiToken(sources, options);
  if (sources.variableNames) checkInputNames(sources.variableNames());
  const warnings: string[] = [];
  const specNotes: SpecNotes = { unvalidated: [], nulls: [] };
  const settings: Settings = {
    apiToken,
    target: {
      projectId: parseId('project-id', input(sources, 'project-id'), true),
      deploymentId: parseId('deployment-id', input(sources, 'deployment-id'), true),
      teamId: parseId('team-id', input(sources, 'team-id'), false),
    },
    apiUrl: parseApiUrl(input(sources, 'api-url') || DEFAULT_API_URL, warnings),
    update: parseUpdateBody(sources, specNotes),
    unvalidatedSpecFields: specNotes.unvalidated,
    nullSpecFields: specNotes.nulls,
    ...parseRunControls(sources),
    ...parseGitHubInputs(sources),
    ...parseModelInputs(sources),
    warnings,
  };
  warnings.push(...ignoredWithoutWaiting(settings));
  const mode = parseMode(sources);
  if (mode === 'deploy') return settings;
  settings.mode = mode;
  if (mode === 'preview' && settings.dryRun) {
    throw new InputError(
      'dry-run',
      'does not apply to mode: preview, which creates a deployment; for a plan on the pull request use mode: deploy with dry-run: true',
    );
  }
  settings.githubToken = input(sources, 'github-token') || undefined;
  settings.preview = parsePreviewSettings(
    sources,
    mode,
    options.githubRun,
    settings.target.deploymentId,
    settings.update,
  );
  warnings.push(...ignoredInPreviewModes(settings, mode));
  return settings;
}

/**
 * The deployment's ids as given, each one that is valid on its own: what the report names when
 * another input failed (the summary then says which deployment the failed step was for).
 */
export function targetAsGiven(sources: InputSources): Partial<Settings['target']> {
  const valid = (name: string): string | undefined => {
    try {
      return parseId(name, input(sources, name), false);
    } catch {
      return undefined;
    }
  };
  const target: Partial<Settings['target']> = {};
  const projectId = valid('project-id');
  const deploymentId = valid('deployment-id');
  const teamId = valid('team-id');
  if (projectId) target.projectId = projectId;
  if (deploymentId) target.deploymentId = deploymentId;
  if (teamId) target.teamId = teamId;
  return target;
}

/** Inputs that a preview run or a sweep does not use, for warnings. */
function ignoredInPreviewModes(settings: Settings, mode: 'preview' | 'sweep'): string[] {
  const ignored: [given: boolean, input: string, why: string][] =
    mode === 'preview'
      ? [
          [settings.update.name !== undefined, 'name', 'a preview is named <deployment>-pr-<n>'],
          [settings.update.tags !== undefined, 'tags', 'a preview carries the preview-tag'],
          [
            settings.update.description !== undefined,
            'description',
            "a preview's description holds its marker",
          ],
          [
            settings.github !== undefined,
            'environment',
            'a preview is not recorded as a GitHub deployment',
          ],
          [
            settings.revert !== undefined,
            'revert-on-failure',
            'a failed preview is left as it is for the pull request to fix',
          ],
        ]
      : [
          [
            Object.keys(settings.update).length > 0,
            'the fields to change',
            'a sweep only deletes previews',
          ],
          [settings.benchmark !== undefined, 'benchmark', 'a sweep measures nothing'],
          [settings.smoke !== undefined, 'smoke-test', 'a sweep tests nothing'],
        ];
  return ignored
    .filter(([given]) => given)
    .map(([, name, why]) => `Input "${name}" is ignored with "mode: ${mode}": ${why}.`);
}

/** api-token, masked before anything else happens; never quoted in a message. */
function parseApiToken(sources: InputSources, options: ParseOptions): string {
  const apiToken = input(sources, 'api-token');
  if (apiToken !== '') sources.setSecret(apiToken);
  if (apiToken === '' && !options.tokenMayBeEmpty) {
    throw new InputError(
      'api-token',
      'is required: pass a Northflank API token, e.g. ${{ secrets.NORTHFLANK_API_TOKEN }}',
    );
  }
  // Never quote the token: the rule alone is enough to act on.
  if (/^bearer\s/i.test(apiToken)) {
    throw new InputError(
      'api-token',
      'starts with "Bearer "; pass the token alone, the action adds the "Bearer" scheme itself',
    );
  }
  if (/[\s\p{Cc}]/u.test(apiToken)) {
    throw new InputError(
      'api-token',
      'contains white space or control characters; copy the token again without line breaks',
    );
  }
  // An HTTP header carries visible ASCII only; anything else fails every request the same way.
  if (apiToken !== '' && !/^[\x21-\x7e]+$/.test(apiToken)) {
    throw new InputError(
      'api-token',
      'contains characters an HTTP header cannot carry (only visible ASCII is allowed); copy the token again from Northflank',
    );
  }
  return apiToken;
}

/** How the step runs: waiting, its deadlines, dry run, force and the revert. */
function parseRunControls(
  sources: InputSources,
): Pick<
  Settings,
  | 'wait'
  | 'timeoutMs'
  | 'pollIntervalMs'
  | 'rolloutStartGraceMs'
  | 'requestTimeoutMs'
  | 'dryRun'
  | 'force'
  | 'phaseLimits'
  | 'revert'
> {
  const duration = (name: string, fallback: string): number =>
    parseDurationInput(name, input(sources, name) || fallback);
  const flag = (name: string): boolean => parseBoolean(name, input(sources, name) || 'false');
  return {
    wait: parseBoolean('wait', input(sources, 'wait') || 'true'),
    timeoutMs: duration('timeout', DEFAULT_TIMEOUT),
    pollIntervalMs: duration('poll-interval', DEFAULT_POLL_INTERVAL),
    rolloutStartGraceMs: duration('rollout-start-grace', DEFAULT_ROLLOUT_START_GRACE),
    requestTimeoutMs: duration('request-timeout', DEFAULT_REQUEST_TIMEOUT),
    dryRun: flag('dry-run'),
    force: flag('force'),
    phaseLimits: {
      provisioningMs: parseOptionalDuration(
        'provisioning-timeout',
        input(sources, 'provisioning-timeout'),
      ),
      startingMs: parseOptionalDuration('starting-timeout', input(sources, 'starting-timeout')),
    },
    revert: flag('revert-on-failure')
      ? { timeoutMs: duration('revert-timeout', DEFAULT_REVERT_TIMEOUT) }
      : undefined,
  };
}

/** environment and pr-comment, with the github-token they both use (read and masked once). */
function parseGitHubInputs(sources: InputSources): Pick<Settings, 'github' | 'prComment'> {
  const environment = input(sources, 'environment');
  const token = input(sources, 'github-token');
  if (token !== '') sources.setSecret(token);
  return {
    github: parseEnvironment(environment, token),
    prComment: parsePrComment(sources, token),
  };
}

function parseEnvironment(environment: string, token: string): Settings['github'] {
  if (environment === '') return undefined;
  if (token === '') {
    throw new InputError(
      'github-token',
      'is required with "environment"; the default ${{ github.token }} works when the job has "permissions: deployments: write"',
    );
  }
  if (environment.length > 255)
    throw new InputError(
      'environment',
      `must be at most 255 characters (got ${quote(environment)})`,
    );
  return { environment, token };
}

function parsePrComment(sources: InputSources, token: string): Settings['prComment'] {
  if (!parseBoolean('pr-comment', input(sources, 'pr-comment') || 'false')) return undefined;
  if (token === '') {
    throw new InputError(
      'github-token',
      'is required with "pr-comment: true"; the default ${{ github.token }} works when the job has "permissions: pull-requests: write"',
    );
  }
  return { token };
}

/**
 * The smoke test and the benchmark, and the model endpoint they share: smoke-url and
 * smoke-timeout are read (once) only when one of them is on; smoke-api-key is masked always.
 */
function parseModelInputs(sources: InputSources): Pick<Settings, 'model' | 'smoke' | 'benchmark'> {
  const apiKey = input(sources, 'smoke-api-key');
  if (apiKey !== '') sources.setSecret(apiKey);
  const smokeTest = parseBoolean('smoke-test', input(sources, 'smoke-test') || 'false');
  let model = smokeTest ? parseModelEndpoint(sources, apiKey) : undefined;
  const smoke = smokeTest ? { prompt: input(sources, 'smoke-prompt') || undefined } : undefined;
  const benchmark = parseBenchmark(sources);
  if (benchmark) model ??= parseModelEndpoint(sources, apiKey);
  return { model, smoke, benchmark };
}

/** The warnings for inputs that do nothing without waiting for the rollout. */
function ignoredWithoutWaiting(settings: Settings): string[] {
  if (settings.wait || settings.dryRun) return [];
  const phases = 'the deadlines per phase apply while the action waits for the rollout';
  const ignored: [given: boolean, input: string, why: string][] = [
    [
      settings.github !== undefined,
      'environment',
      'no GitHub deployment is recorded, because the action does not see how the rollout ends',
    ],
    [
      settings.smoke !== undefined,
      'smoke-test',
      'the smoke test runs only after the action has waited for the rollout',
    ],
    [
      settings.benchmark !== undefined,
      'benchmark',
      'the model is benchmarked only after the action has waited for the rollout',
    ],
    [
      settings.revert !== undefined,
      'revert-on-failure',
      'the action does not see whether the rollout fails, so it cannot revert it',
    ],
    [settings.phaseLimits.provisioningMs !== undefined, 'provisioning-timeout', phases],
    [settings.phaseLimits.startingMs !== undefined, 'starting-timeout', phases],
  ];
  return ignored
    .filter(([given]) => given)
    .map(([, name, why]) => `Input "${name}" is ignored with "wait: false": ${why}.`);
}
