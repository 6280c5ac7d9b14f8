/**
 * What makes a deployment a preview of a pull request, pure: its name, its tag and the marker
 * line in its description, and the one rule that decides whether the action may delete it. A
 * preview carries all three; anything else (production, another repository's preview, a
 * deployment a person made, even one whose name fits the pattern) is never touched.
 */
import { deploymentIdFromName } from '../northflank/preview-api.js';
import type { Deployment } from '../northflank/schema.js';

/** The repository a preview belongs to, as GitHub names it. */
export interface RepositoryRef {
  owner: string;
  repo: string;
}

/** What the marker line of a preview's description says. */
export interface PreviewMarker {
  /** The production deployment it previews (its id). */
  of: string;
  /** `owner/repo`, as GitHub spells it (compared without regard to case, as GitHub does). */
  repository: string;
  pullRequest: number;
  /** When the sweep may delete it, whatever the pull request's state. */
  expiresMs: number;
}

/** Northflank's limit on a description. */
export const MAX_DESCRIPTION_CHARS = 1024;

const MARKER_PREFIX = 'northflank-llm-deploy-action preview:';
// The last line only (no `m` flag): a description a person edited after the action wrote it, or
// a marker pasted into the middle of one, does not make a deployment the sweep's to delete.
const MARKER_LINE =
  /(?:^|\n)northflank-llm-deploy-action preview: of=(\S+) repo=([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+) pr=([1-9][0-9]{0,9}) expires=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z)$/;

/** The preview's name: `<deployment>-pr-<n>`; its id is the one Northflank derives from it. */
export function previewName(deploymentId: string, pullRequest: number): string {
  return `${deploymentId}-pr-${pullRequest}`;
}

/** The id of the preview of `deploymentId` for pull request `pullRequest`. */
export function previewId(deploymentId: string, pullRequest: number): string {
  return deploymentIdFromName(previewName(deploymentId, pullRequest));
}

/** The marker line, on a line of its own, that the sweep reads. */
export function markerLine(marker: PreviewMarker): string {
  return `${MARKER_PREFIX} of=${marker.of} repo=${marker.repository} pr=${marker.pullRequest} expires=${new Date(marker.expiresMs).toISOString()}`;
}

/** A preview's description: a sentence for people, then the marker line; within 1024 characters. */
export function previewDescription(marker: PreviewMarker): string {
  const line = markerLine(marker);
  const text = `Preview of ${marker.of} for ${marker.repository}#${marker.pullRequest}, made by a GitHub Action; deleted when the pull request closes or after the expiry below.`;
  const description = `${text}\n${line}`;
  return description.length <= MAX_DESCRIPTION_CHARS ? description : line;
}

/** The marker in a description, when it has a well-formed one. */
export function parseMarker(description: string | undefined): PreviewMarker | undefined {
  const match = MARKER_LINE.exec(description ?? '');
  if (!match?.[1] || !match[2] || !match[3] || !match[4]) return undefined;
  const expiresMs = Date.parse(match[4]);
  if (!Number.isFinite(expiresMs)) return undefined;
  return { of: match[1], repository: match[2], pullRequest: Number(match[3]), expiresMs };
}

/** `owner/repo`. */
export function repositoryName(repository: RepositoryRef): string {
  return `${repository.owner}/${repository.repo}`;
}

/** Why a deployment is, or is not, a preview of this repository that the action may delete. */
export type PreviewClaim = { ours: true; marker: PreviewMarker } | { ours: false; reason: string };

/**
 * Whether `deployment` is a preview this repository's action made: the preview tag, a marker
 * naming this repository, and the name the marker's deployment and pull request give. All three,
 * or it is not ours to delete.
 */
export function claimPreview(
  deployment: Pick<Deployment, 'id' | 'name' | 'tags' | 'description'>,
  repository: RepositoryRef,
  tag: string,
  /** The production deployment whose previews are claimed; undefined: any of this repository. */
  production?: string,
): PreviewClaim {
  if (!(deployment.tags ?? []).includes(tag)) {
    return { ours: false, reason: `it does not carry the tag "${tag}"` };
  }
  const marker = parseMarker(deployment.description);
  if (!marker) return { ours: false, reason: 'its description has no preview marker' };
  if (marker.repository.toLowerCase() !== repositoryName(repository).toLowerCase()) {
    return { ours: false, reason: `it is a preview of another repository (${marker.repository})` };
  }
  if (production !== undefined && marker.of !== production) {
    return { ours: false, reason: `it is a preview of another deployment (${marker.of})` };
  }
  const expected = previewName(marker.of, marker.pullRequest);
  if (deployment.name !== expected || deployment.id !== deploymentIdFromName(expected)) {
    return {
      ours: false,
      reason: `its name "${deployment.name}" is not the preview name its marker gives ("${expected}")`,
    };
  }
  return { ours: true, marker };
}

/** The state of a pull request as GitHub answers it, or why it could not be learnt. */
export type PullRequestState = 'open' | 'closed' | { unknown: string };

/** What the sweep does with one deployment of the project, and why. */
export interface SweepDecision {
  id: string;
  name: string;
  action: 'delete' | 'keep' | 'ignore';
  reason: string;
  pullRequest?: number;
}

/**
 * The sweep's verdict on one deployment, pure: previews of this repository past their expiry or
 * whose pull request is closed are deleted; every other one is kept (its pull request is open,
 * or its state is unknown) or ignored (not ours).
 */
export function sweepDecision(
  deployment: Pick<Deployment, 'id' | 'name' | 'tags' | 'description' | 'status'>,
  claim: PreviewClaim,
  state: PullRequestState | undefined,
  nowMs: number,
): SweepDecision {
  const base = { id: deployment.id, name: deployment.name };
  if (!claim.ours)
    return {
      ...base,
      action: 'ignore',
      reason: `not a preview of this repository: ${claim.reason}`,
    };
  const pr = { pullRequest: claim.marker.pullRequest };
  if (deployment.status === 'deleting') {
    return {
      ...base,
      ...pr,
      action: 'delete',
      reason: 'already being deleted; waited for until it is gone',
    };
  }
  if (nowMs >= claim.marker.expiresMs) {
    return {
      ...base,
      ...pr,
      action: 'delete',
      reason: `expired at ${new Date(claim.marker.expiresMs).toISOString()}`,
    };
  }
  if (state === 'closed') {
    return {
      ...base,
      ...pr,
      action: 'delete',
      reason: `pull request #${claim.marker.pullRequest} is closed`,
    };
  }
  if (state === 'open') {
    return {
      ...base,
      ...pr,
      action: 'keep',
      reason: `pull request #${claim.marker.pullRequest} is open; expires ${new Date(claim.marker.expiresMs).toISOString()}`,
    };
  }
  return {
    ...base,
    ...pr,
    action: 'keep',
    reason: `the state of pull request #${claim.marker.pullRequest} is unknown (${state?.unknown ?? 'not asked'}); kept until it expires at ${new Date(claim.marker.expiresMs).toISOString()}`,
  };
}

/** The GPU type and count of a configuration, as a reading shows it. */
export interface GpuUse {
  type: string | undefined;
  /** GPUs in all: per replica × replicas. */
  count: number;
  /** Replicas (`architecture.workerConfig.replicas`), each with its own GPUs; 1 when not set. */
  replicas?: number;
}

/** The GPUs a deployment's configuration asks for (none when GPUs are not enabled). */
export function gpuUse(configuration: unknown): GpuUse {
  const gpu = at(configuration, ['nodeConfiguration', 'gpu']);
  const enabled = at(gpu, ['enabled']);
  const type = at(gpu, ['configuration', 'gpuType']);
  const count = at(gpu, ['configuration', 'gpuCount']);
  if (enabled === false) return { type: undefined, count: 0 };
  const perReplica = typeof count === 'number' ? count : typeof type === 'string' ? 1 : 0;
  const set = at(configuration, ['architecture', 'workerConfig', 'replicas']);
  const replicas = typeof set === 'number' && Number.isInteger(set) && set > 1 ? set : 1;
  return {
    type: typeof type === 'string' ? type : undefined,
    count: perReplica * replicas,
    ...(replicas > 1 ? { replicas } : {}),
  };
}

function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The cost guards for previews (see config/preview-settings.ts). */
export interface PreviewLimits {
  /** GPU types a preview may use; undefined for any. */
  gpuTypes: readonly string[] | undefined;
  /** GPUs a preview may use at most; undefined for any number. */
  maxGpus: number | undefined;
}

/** Why a configuration breaks the limits (with the input to change), or undefined. */
export function limitBreach(
  use: GpuUse,
  limits: PreviewLimits,
  source: string,
): string | undefined {
  if (limits.gpuTypes && use.count > 0) {
    if (use.type === undefined) {
      return `${source} names no GPU type, and preview-gpu-types allows only ${limits.gpuTypes.join(', ')}: set preview-gpu-type to one of them`;
    }
    if (!limits.gpuTypes.includes(use.type)) {
      return `${source} uses GPU type "${use.type}", which preview-gpu-types does not allow (allowed: ${limits.gpuTypes.join(', ')}): set preview-gpu-type to one of them, or add it to preview-gpu-types`;
    }
  }
  if (limits.maxGpus !== undefined && use.count > limits.maxGpus) {
    const split = use.replicas
      ? ` (${use.count / use.replicas} per replica × ${use.replicas} replicas)`
      : '';
    const fix =
      limits.maxGpus === 0
        ? 'turn the GPU off for previews (spec nodeConfiguration.gpu.enabled: false), or raise preview-max-gpus'
        : `set preview-gpu-count to at most ${limits.maxGpus}${use.replicas ? ' per replica and fewer replicas (architecture.workerConfig.replicas)' : ' (with a tensor parallelism that fits)'}, or raise preview-max-gpus`;
    return `${source} uses ${use.count} GPUs${split}, more than preview-max-gpus (${limits.maxGpus}): ${fix}`;
  }
  return undefined;
}

/** GPU-hours since `createdAt` for `use`, when the reading gives the GPU type and the time. */
export function gpuHours(
  use: GpuUse,
  createdAt: string | undefined,
  nowMs: number,
): number | undefined {
  const created = createdAt === undefined ? NaN : Date.parse(createdAt);
  if (use.type === undefined || !Number.isFinite(created)) return undefined;
  return (Math.max(0, nowMs - created) / 3_600_000) * use.count;
}
