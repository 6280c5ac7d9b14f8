// Reading the inputs into Settings, once, up front; the YAML parser is loaded only if an input needs it.
import { InputError } from '../errors.js';
import { quote } from './quoting.js';
import {
  parseApiUrl,
  parseBoolean,
  parseDurationInput,
  parseHttpUrl,
  parseId,
  parseOptionalDuration,
} from './scalars.js';
import {
  DEFAULT_API_URL,
  DEFAULT_POLL_INTERVAL,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_REVERT_TIMEOUT,
  DEFAULT_ROLLOUT_START_GRACE,
  DEFAULT_SMOKE_TIMEOUT,
  DEFAULT_TIMEOUT,
  type Settings,
  type SmokeSettings,
} from './settings.js';
import type { InputSources } from '../runner/deps.js';
import { loadYaml, YamlNeeded } from './structured.js';
import { parseUpdateBody, type SpecNotes } from './update-body.js';
import { parseBenchmark } from './benchmark-input.js';

/**
 * parseSettings, loading the YAML parser first if an input turns out to need it. Parsing is
 * pure but for reading `spec-file`, so running it again once the parser is there is safe.
 */
export async function readSettings(
  sources: InputSources,
  options: ParseOptions = {},
): Promise<Settings> {
  // The second pass must see the very text the first one read: a spec-file is read once.
  const files = new Map<string, string>();
  const masked = new Set<string>();
  const once: InputSources = {
    ...sources,
    getInput: (name) => sources.getInput(name),
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
}

/**
 * Reads and validates every input; throws InputError naming the input and the rule. An input
 * in YAML (not JSON) needs loadYaml() first; readSettings does that.
 */
export function parseSettings(sources: InputSources, options: ParseOptions = {}): Settings {
  const apiToken = sources.getInput('api-token').trim();
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

  const input = (name: string): string => sources.getInput(name).trim();
  const warnings: string[] = [];
  const specNotes: SpecNotes = { unvalidated: [], nulls: [] };
  const settings: Settings = {
    apiToken,
    projectId: parseId('project-id', input('project-id'), true),
    deploymentId: parseId('deployment-id', input('deployment-id'), true),
    teamId: parseId('team-id', input('team-id'), false),
    apiUrl: parseApiUrl(input('api-url') || DEFAULT_API_URL, warnings),
    update: parseUpdateBody(sources, specNotes),
    unvalidatedSpecFields: specNotes.unvalidated,
    nullSpecFields: specNotes.nulls,
    wait: parseBoolean('wait', input('wait') || 'true'),
    timeoutMs: parseDurationInput('timeout', input('timeout') || DEFAULT_TIMEOUT),
    pollIntervalMs: parseDurationInput(
      'poll-interval',
      input('poll-interval') || DEFAULT_POLL_INTERVAL,
    ),
    rolloutStartGraceMs: parseDurationInput(
      'rollout-start-grace',
      input('rollout-start-grace') || DEFAULT_ROLLOUT_START_GRACE,
    ),
    requestTimeoutMs: parseDurationInput(
      'request-timeout',
      input('request-timeout') || DEFAULT_REQUEST_TIMEOUT,
    ),
    dryRun: parseBoolean('dry-run', input('dry-run') || 'false'),
    force: parseBoolean('force', input('force') || 'false'),
    phaseLimits: {
      provisioningMs: parseOptionalDuration('provisioning-timeout', input('provisioning-timeout')),
      startingMs: parseOptionalDuration('starting-timeout', input('starting-timeout')),
    },
    revert: parseBoolean('revert-on-failure', input('revert-on-failure') || 'false')
      ? {
          timeoutMs: parseDurationInput(
            'revert-timeout',
            input('revert-timeout') || DEFAULT_REVERT_TIMEOUT,
          ),
        }
      : undefined,
    github: parseGitHub(sources),
    prComment: parsePrComment(sources),
    smoke: parseSmoke(sources),
    benchmark: parseBenchmark(sources),
    warnings,
  };
  if (!settings.wait && !settings.dryRun) {
    if (settings.github) {
      warnings.push(
        'Input "environment" is ignored with "wait: false": no GitHub deployment is recorded, because the action does not see how the rollout ends.',
      );
    }
    if (settings.smoke) {
      warnings.push(
        'Input "smoke-test" is ignored with "wait: false": the smoke test runs only after the action has waited for the rollout.',
      );
    }
    if (settings.benchmark) {
      warnings.push(
        'Input "benchmark" is ignored with "wait: false": the model is benchmarked only after the action has waited for the rollout.',
      );
    }
    if (settings.revert) {
      warnings.push(
        'Input "revert-on-failure" is ignored with "wait: false": the action does not see whether the rollout fails, so it cannot revert it.',
      );
    }
    for (const [name, ms] of [
      ['provisioning-timeout', settings.phaseLimits.provisioningMs],
      ['starting-timeout', settings.phaseLimits.startingMs],
    ] as const) {
      if (ms !== undefined) {
        warnings.push(
          `Input "${name}" is ignored with "wait: false": the deadlines per phase apply while the action waits for the rollout.`,
        );
      }
    }
  }
  return settings;
}

function parsePrComment(sources: InputSources): Settings['prComment'] {
  if (!parseBoolean('pr-comment', sources.getInput('pr-comment').trim() || 'false')) {
    return undefined;
  }
  // parseGitHub has masked it already.
  const token = sources.getInput('github-token').trim();
  if (token === '') {
    throw new InputError(
      'github-token',
      'is required with "pr-comment: true"; the default ${{ github.token }} works when the job has "permissions: pull-requests: write"',
    );
  }
  return { token };
}

function parseGitHub(sources: InputSources): Settings['github'] {
  const environment = sources.getInput('environment').trim();
  const token = sources.getInput('github-token').trim();
  if (token !== '') sources.setSecret(token);
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

function parseSmoke(sources: InputSources): SmokeSettings | undefined {
  const input = (name: string): string => sources.getInput(name).trim();
  const apiKey = input('smoke-api-key');
  if (apiKey !== '') sources.setSecret(apiKey);
  if (!parseBoolean('smoke-test', input('smoke-test') || 'false')) return undefined;
  const url = input('smoke-url');
  return {
    url: url === '' ? undefined : parseHttpUrl('smoke-url', url),
    timeoutMs: parseDurationInput('smoke-timeout', input('smoke-timeout') || DEFAULT_SMOKE_TIMEOUT),
    prompt: input('smoke-prompt') || undefined,
    apiKey: apiKey || undefined,
  };
}
