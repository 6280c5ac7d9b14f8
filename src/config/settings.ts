// The settings: one typed object that every input becomes, and the defaults of the inputs left empty.
import type { DeploymentRef } from '../northflank/client.js';
import type { UpdateBody } from '../northflank/schema.js';
import type { PhaseLimits } from '../rollout/phases.js';
import type { BenchmarkSettings } from '../model/benchmark-settings.js';
import type { Mode, PreviewSettings } from './preview-settings.js';

export const DEFAULT_API_URL = 'https://api.northflank.com';
export const DEFAULT_TIMEOUT = '30m';
export const DEFAULT_POLL_INTERVAL = '30s';
export const DEFAULT_ROLLOUT_START_GRACE = '60s';
export const DEFAULT_REQUEST_TIMEOUT = '30s';
export const DEFAULT_SMOKE_TIMEOUT = '5m';
export const DEFAULT_REVERT_TIMEOUT = '20m';

/** Everything the action needs, validated once, before any request. */
export interface Settings {
  apiToken: string;
  /** The deployment: project-id, deployment-id and team-id. */
  target: DeploymentRef;
  apiUrl: URL;
  /** Only the fields the user gave: an empty input means "leave unchanged". */
  update: UpdateBody;
  /** Spec fields the action does not know, sent unvalidated (`allow-unknown-spec-fields`). */
  unvalidatedSpecFields: string[];
  /** Spec fields given as null: "not set", so left out of the comparison and the body. */
  nullSpecFields: string[];
  wait: boolean;
  timeoutMs: number;
  pollIntervalMs: number;
  rolloutStartGraceMs: number;
  requestTimeoutMs: number;
  /** Validate, read and show what would change; send no update. */
  dryRun: boolean;
  /** Send the given fields even when they are already in place. */
  force: boolean;
  /** Deadlines for the new rollout's phases, on top of `timeoutMs`. */
  phaseLimits: PhaseLimits;
  /** Put the previous values back when the new rollout fails, waiting this long for it. */
  revert: { timeoutMs: number } | undefined;
  /** Record the rollout as a GitHub deployment to this environment. */
  github: { environment: string; token: string } | undefined;
  /** On a pull request event, write the result as a comment on the pull request with this token. */
  prComment: { token: string } | undefined;
  /**
   * The model's endpoint (smoke-url, smoke-api-key, smoke-timeout) that the smoke test and the
   * benchmark share; undefined when neither is asked for.
   */
  model: ModelEndpoint | undefined;
  /** Probe the model's OpenAI-compatible endpoint once it runs. */
  smoke: SmokeSettings | undefined;
  /** Benchmark the model before the update and after the rollout, and gate on it. */
  benchmark: BenchmarkSettings | undefined;
  /** Inputs that were accepted but will not do what the user may think; logged as warnings. */
  warnings: string[];
  /** `mode`: deploy (the default), preview or sweep. */
  mode?: Mode;
  /** github-token, for the sweep's questions about pull requests. */
  githubToken?: string | undefined;
  /** With mode preview or sweep: the preview inputs. */
  preview?: PreviewSettings | undefined;
}

/** The model's OpenAI-compatible endpoint. */
export interface ModelEndpoint {
  /** smoke-url: overrides the deployment's public URL. */
  url: URL | undefined;
  /** smoke-api-key. */
  apiKey: string | undefined;
  /** smoke-timeout: how long to wait for the model to list itself (and answer the prompt). */
  timeoutMs: number;
}

/** The smoke test, besides the endpoint. */
export interface SmokeSettings {
  /** A prompt the model must answer; undefined to only check that it lists itself. */
  prompt: string | undefined;
}
