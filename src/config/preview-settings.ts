// The `mode` input and the preview inputs: what a preview run or a sweep needs, checked before any request.
import { formatDuration } from '../duration.js';
import { InputError } from '../errors.js';
import { nameSchema, tagSchema, type UpdateBody } from '../northflank/schema.js';
import { limitBreach, previewName, type PreviewLimits } from '../rollout/preview-identity.js';
import type { InputSources } from '../runner/deps.js';
import type { GitHubRun } from '../runner/event.js';
import { input } from './input.js';
import { quote } from './quoting.js';
import { parseDurationInput, parseHttpUrl } from './scalars.js';

export const MODES = ['deploy', 'preview', 'sweep'] as const;
export type Mode = (typeof MODES)[number];

export const DEFAULT_PREVIEW_TAG = 'preview';
export const DEFAULT_PREVIEW_EXPIRY = '24h';
export const DEFAULT_PREVIEW_MAX_COUNT = '3';

/** The pull request events a preview follows. */
export const PREVIEW_ACTIONS = ['opened', 'synchronize', 'reopened', 'closed'] as const;

/** What a preview run (or a sweep) needs besides the deploy's settings. */
export interface PreviewSettings {
  /** The tag every preview carries; it must exist in Northflank already. */
  tag: string;
  expiryMs: number;
  limits: PreviewLimits;
  /** Previews of this repository that may exist at once. */
  maxCount: number;
  /** The GPU of a preview, instead of production's. */
  gpu: { type: string | undefined; count: number | undefined };
  /** The preview's model endpoint for the smoke test and the benchmark (else its public URL). */
  modelUrl: URL | undefined;
  /** In preview mode: the pull request, what happened to it, and the preview's name. */
  pullRequest: { number: number; event: 'open' | 'close'; name: string } | undefined;
  /** The repository the previews belong to. */
  repository: { owner: string; repo: string };
}

/** `mode`: deploy (the default), preview or sweep. */
export function parseMode(sources: InputSources): Mode {
  const value = input(sources, 'mode') || 'deploy';
  const mode = MODES.find((m) => m === value.toLowerCase());
  if (!mode) {
    throw new InputError('mode', `must be one of ${MODES.join(', ')} (got ${quote(value)})`);
  }
  return mode;
}

/**
 * The preview inputs for `mode: preview` or `sweep` (undefined for deploy): the event must be
 * one a preview follows, the preview's name must be one Northflank takes, and the given spec and
 * GPU override must keep within the limits.
 */
export function parsePreviewSettings(
  sources: InputSources,
  mode: Mode,
  run: GitHubRun | undefined,
  deploymentId: string,
  update: UpdateBody,
): PreviewSettings | undefined {
  if (mode === 'deploy') return undefined;
  const repository = run?.repository;
  if (!repository) {
    throw new InputError(
      'mode',
      `"${mode}" needs GITHUB_REPOSITORY (owner/repository), which GitHub Actions sets: previews are marked with the repository they belong to`,
    );
  }
  const limits = parseLimits(sources);
  const settings: PreviewSettings = {
    tag: parseTag(sources),
    expiryMs: parseExpiry(sources),
    limits,
    maxCount: parseCount(
      'preview-max-count',
      input(sources, 'preview-max-count') || DEFAULT_PREVIEW_MAX_COUNT,
      1,
    ),
    gpu: parseGpuOverride(sources),
    modelUrl: input(sources, 'preview-smoke-url')
      ? parseHttpUrl('preview-smoke-url', input(sources, 'preview-smoke-url'))
      : undefined,
    pullRequest: mode === 'preview' ? parsePullRequest(run, deploymentId) : undefined,
    repository,
  };
  if (mode === 'preview') checkGivenWithinLimits(settings, update);
  return settings;
}

function parseTag(sources: InputSources): string {
  const tag = input(sources, 'preview-tag') || DEFAULT_PREVIEW_TAG;
  const checked = tagSchema().safeParse(tag);
  if (!checked.success) {
    throw new InputError(
      'preview-tag',
      `${checked.error.issues[0]?.message ?? 'is not a tag'} (got ${quote(tag)})`,
    );
  }
  return tag;
}

function parseExpiry(sources: InputSources): number {
  const ms = parseDurationInput(
    'preview-expiry',
    input(sources, 'preview-expiry') || DEFAULT_PREVIEW_EXPIRY,
  );
  if (ms < 60_000 || ms > 30 * 86_400_000) {
    throw new InputError('preview-expiry', `must be from 1m to 30d (got ${formatDuration(ms)})`);
  }
  return ms;
}

function parseCount(name: string, value: string, min: number): number {
  if (!/^\d{1,4}$/.test(value.trim()) || Number(value) < min) {
    throw new InputError(name, `must be a whole number of at least ${min} (got ${quote(value)})`);
  }
  return Number(value);
}

function parseLimits(sources: InputSources): PreviewLimits {
  const types = input(sources, 'preview-gpu-types');
  const max = input(sources, 'preview-max-gpus');
  return {
    gpuTypes: types === '' ? undefined : parseGpuTypes(types),
    maxGpus: max === '' ? undefined : parseCount('preview-max-gpus', max, 0),
  };
}

function parseGpuTypes(value: string): string[] {
  const types = value
    .split(/[,\n]/)
    .map((t) => t.trim())
    .filter(Boolean);
  const bad = types.find((t) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(t));
  if (bad !== undefined || types.length === 0) {
    throw new InputError(
      'preview-gpu-types',
      `must be GPU types separated by commas, e.g. nvidia-l4, nvidia-a10g (got ${quote(value)})`,
    );
  }
  return types;
}

function parseGpuOverride(sources: InputSources): PreviewSettings['gpu'] {
  const type = input(sources, 'preview-gpu-type');
  const count = input(sources, 'preview-gpu-count');
  if (type !== '' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(type)) {
    throw new InputError(
      'preview-gpu-type',
      `must be a GPU type such as nvidia-l4 (got ${quote(type)})`,
    );
  }
  return {
    type: type === '' ? undefined : type,
    count: count === '' ? undefined : parseCount('preview-gpu-count', count, 1),
  };
}

/** The pull request of a preview run, from the event: only the events a preview follows. */
function parsePullRequest(
  run: GitHubRun | undefined,
  deploymentId: string,
): PreviewSettings['pullRequest'] {
  const events = 'pull_request or pull_request_target';
  const actions = PREVIEW_ACTIONS.join(', ');
  if (!run?.isPullRequestEvent) {
    const got = run?.eventName ? `a ${run.eventName} event` : 'a run outside GitHub Actions';
    throw new InputError(
      'mode',
      `"preview" runs on ${events} events (types ${actions}), not on ${got}; use mode: sweep on a schedule, or mode: deploy on push`,
    );
  }
  const pr = run.pullRequest;
  if (!pr) {
    throw new InputError(
      'mode',
      `"preview" needs the pull request, but ${run.problem ?? 'the event names none'}`,
    );
  }
  const action = pr.action ?? '';
  if (!(PREVIEW_ACTIONS as readonly string[]).includes(action)) {
    throw new InputError(
      'mode',
      `"preview" follows the pull request types ${actions}; this ${run.eventName} event is "${action || 'of no type'}". List only those under "on: ${run.eventName}: types:"`,
    );
  }
  const name = previewName(deploymentId, pr.number);
  const checked = nameSchema().safeParse(name);
  if (!checked.success) {
    throw new InputError(
      'deployment-id',
      `gives the preview name ${quote(name)} for pull request #${pr.number}, which Northflank does not take: a name ${checked.error.issues[0]?.message ?? 'is invalid'}. Use a shorter deployment id of letters, digits and hyphens`,
    );
  }
  return { number: pr.number, event: action === 'closed' ? 'close' : 'open', name };
}

/** The given spec with the GPU override applied must keep within the limits; checked before any request. */
function checkGivenWithinLimits(settings: PreviewSettings, update: UpdateBody): void {
  const given = update.spec?.configuration?.nodeConfiguration?.gpu?.configuration;
  const type = settings.gpu.type ?? given?.gpuType;
  const count = settings.gpu.count ?? given?.gpuCount;
  if (type === undefined && count === undefined) return;
  const source =
    settings.gpu.type !== undefined || settings.gpu.count !== undefined
      ? 'The preview GPU (preview-gpu-type, preview-gpu-count)'
      : 'The given spec';
  // Only what is given is known before production is read; a type alone counts one GPU at least.
  const breach = limitBreach(
    {
      type: type ?? (settings.limits.gpuTypes ? settings.limits.gpuTypes[0] : undefined),
      count: count ?? 1,
    },
    type === undefined ? { ...settings.limits, gpuTypes: undefined } : settings.limits,
    source,
  );
  if (!breach) return;
  const overridden = breach.includes(' GPUs, more than ')
    ? settings.gpu.count !== undefined && 'preview-gpu-count'
    : settings.gpu.type !== undefined && 'preview-gpu-type';
  throw new InputError(overridden || 'spec', breach);
}
