/**
 * The preview steps: a pull request's own deployment, made from production's configuration with
 * the pull request's values, updated on each push through the deploy's plan, update and wait,
 * and deleted when the pull request closes. Production is only read.
 */
import { modelUrl } from '../config/model-endpoint.js';
import type { PreviewSettings } from '../config/preview-settings.js';
import type { Settings } from '../config/settings.js';
import { formatDuration } from '../duration.js';
import { NorthflankApiError, PreviewError, UpdateUnconfirmedError } from '../errors.js';
import type { NorthflankClient } from '../northflank/client.js';
import type { CreateBody } from '../northflank/preview-api.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import type { PreviewRecord } from '../report/report.js';
import type { StepResult } from '../rollout/outcome.js';
import type { UpdatePlan } from '../rollout/plan.js';
import {
  claimPreview,
  gpuHours,
  gpuUse,
  limitBreach,
  previewDescription,
  previewId,
  repositoryName,
  type PreviewMarker,
} from '../rollout/preview-identity.js';
import { publicUrl } from '../rollout/status.js';
import type { RunContext } from './context.js';
import { followRollout } from './follow-rollout.js';
import { planStep } from './plan-update.js';
import { updateStep } from './send-update.js';

/** A created preview has nothing planned against it: the wait follows its first rollout. */
const CREATED_PLAN: UpdatePlan = {
  body: {},
  changes: [],
  inPlace: [],
  unreadable: [],
  startsRollout: true,
  expectation: 'rollout',
};

/** The preview settings and pull request of a preview run (set when mode is preview). */
function previewOf(settings: Settings): {
  p: PreviewSettings;
  pr: NonNullable<PreviewSettings['pullRequest']>;
} {
  const p = settings.preview;
  const pr = p?.pullRequest;
  if (!p || !pr) throw new Error('a preview step runs only with mode: preview');
  return { p, pr };
}

/** The preview's id and its client, and the run's record of it. */
function startRecord(ctx: RunContext): { api: NorthflankClient; record: PreviewRecord } {
  const { pr } = previewOf(ctx.settings);
  const id = previewId(ctx.target.deploymentId, pr.number);
  const record: PreviewRecord = {
    id,
    name: pr.name,
    pullRequest: pr.number,
    production: ctx.target.deploymentId,
  };
  ctx.record.preview = record;
  return { api: ctx.api.forDeployment(id), record };
}

/**
 * From here on the run is about the preview: its reads, update and wait, the comment's marker
 * and the model endpoint (preview-smoke-url, else the preview's public URL).
 */
function retarget(ctx: RunContext, api: NorthflankClient, update: UpdateBody): void {
  const { settings } = ctx;
  const target = api.target;
  const endpoint = settings.model;
  const url = settings.preview?.modelUrl;
  Object.assign(ctx, {
    settings: { ...settings, target, update },
    target,
    api,
    modelUrl: (deployment: Deployment | undefined) =>
      endpoint ? modelUrl({ ...endpoint, url }, deployment) : undefined,
  });
  ctx.record.target = target;
}

/** GET, or undefined when Northflank knows no such deployment (404). */
async function readIfExists(api: NorthflankClient): Promise<Deployment | undefined> {
  try {
    return await api.getDeployment();
  } catch (error) {
    if (error instanceof NorthflankApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** Refuses a deployment with the preview's name that is not this pull request's preview. */
function checkOurs(ctx: RunContext, existing: Deployment): void {
  const { p } = previewOf(ctx.settings);
  const claim = claimPreview(existing, p.repository, p.tag);
  const production = ctx.record.preview?.production ?? ctx.settings.target.deploymentId;
  if (claim.ours && claim.marker.of === production) return;
  const why = claim.ours ? `it previews "${claim.marker.of}"` : claim.reason;
  throw new PreviewError(
    `A deployment "${existing.id}" exists already and is not this pull request's preview (${why}); the action does not touch it. Rename or delete it in Northflank, or give this deployment another deployment-id.`,
    'Preview name taken',
  );
}

/** The marker of this pull request's preview, expiring `preview-expiry` from now. */
function marker(ctx: RunContext): PreviewMarker {
  const { p, pr } = previewOf(ctx.settings);
  return {
    of: ctx.settings.target.deploymentId,
    repository: repositoryName(p.repository),
    pullRequest: pr.number,
    expiresMs: ctx.clock.now() + p.expiryMs,
  };
}

/** The pull request's values for the preview: the given fields, the GPU override, a new marker. */
function previewUpdate(ctx: RunContext, mark: PreviewMarker): UpdateBody {
  const { p } = previewOf(ctx.settings);
  // A preview has its own name, tag and description (its marker): those inputs do not apply.
  const given: UpdateBody = { ...ctx.settings.update };
  delete given.name;
  delete given.tags;
  delete given.description;
  const spec = withGpuOverride(given.spec, p.gpu);
  return { ...given, ...(spec ? { spec } : {}), description: previewDescription(mark) };
}

function withGpuOverride(
  spec: UpdateBody['spec'],
  gpu: PreviewSettings['gpu'],
): UpdateBody['spec'] {
  if (gpu.type === undefined && gpu.count === undefined) return spec;
  const configuration = spec?.configuration ?? {};
  const current = configuration.nodeConfiguration?.gpu;
  return {
    ...spec,
    configuration: {
      ...configuration,
      nodeConfiguration: {
        ...configuration.nodeConfiguration,
        gpu: {
          ...current,
          enabled: true,
          configuration: {
            ...current?.configuration,
            ...(gpu.type === undefined ? {} : { gpuType: gpu.type }),
            ...(gpu.count === undefined ? {} : { gpuCount: gpu.count }),
          },
        },
      },
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key, as Northflank merges a spec; anything else replaces. */
function merged(base: unknown, patch: unknown): unknown {
  if (!isObject(base) || !isObject(patch)) return patch === undefined ? base : patch;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) out[key] = merged(base[key], value);
  return out;
}

/** The cost guards on the configuration the preview would have. */
function checkLimits(ctx: RunContext, configuration: unknown, what: string): void {
  const { p } = previewOf(ctx.settings);
  const breach = limitBreach(gpuUse(configuration), p.limits, what);
  if (breach) throw new PreviewError(`No preview: ${breach}.`, 'Preview over its limits');
}

/**
 * Opened, synchronize or reopened: creates the preview, or updates the one there, and waits
 * until it runs. Never a second preview: a name taken by a race (409) is updated instead.
 */
export async function openPreview(ctx: RunContext): Promise<StepResult> {
  const { log } = ctx;
  const production = await log.group('Production (read only)', async () => {
    const read = await ctx.api.getDeployment();
    log.info(`Production "${read.name}" (${read.id}) is ${read.status}; it is only read.`);
    return read;
  });
  const { api, record } = startRecord(ctx);
  const mark = marker(ctx);
  record.expiresAt = new Date(mark.expiresMs).toISOString();
  let existing = await readIfExists(api);
  if (existing?.status === 'deleting') {
    // Closed and reopened before the delete finished: it goes first, then a new one comes.
    await waitUntilGone(ctx, api, existing.id);
    existing = undefined;
  }
  if (!existing) {
    const created = await log.group('Creating the preview', () =>
      createPreview(ctx, api, production, mark),
    );
    if (created.kind === 'created') {
      record.action = 'created';
      retarget(ctx, api, {});
      return watchCreated(ctx, created.first);
    }
    existing = created.existing;
  }
  checkOurs(ctx, existing);
  record.action = 'updated';
  const update = previewUpdate(ctx, mark);
  checkLimits(
    ctx,
    merged(existing.spec?.configuration, update.spec?.configuration),
    "The preview with this pull request's values",
  );
  retarget(ctx, api, update);
  log.info(`Preview "${existing.id}" exists: updating it with this pull request's values.`);
  const planned = await log.group('Plan', () => planStep(ctx));
  const sent = await updateStep(ctx, planned);
  return describe(ctx, await followRollout(ctx, sent));
}

type Created = { kind: 'created'; first: Deployment } | { kind: 'exists'; existing: Deployment };

/** The cost guards, then the create; a 409 (another run made it first) reads the one there. */
async function createPreview(
  ctx: RunContext,
  api: NorthflankClient,
  production: Deployment,
  mark: PreviewMarker,
): Promise<Created> {
  const { p, pr } = previewOf(ctx.settings);
  const update = previewUpdate(ctx, mark);
  const configuration = merged(production.spec?.configuration ?? {}, update.spec?.configuration);
  checkLimits(
    ctx,
    configuration,
    "The preview (production's configuration with this pull request's values)",
  );
  await checkCap(ctx, api.target.deploymentId);
  const body: CreateBody = {
    name: pr.name,
    description: update.description ?? previewDescription(mark),
    tags: [p.tag],
    ports: update.ports ?? portsOf(production),
    spec: { type: 'custom', configuration: configuration as Record<string, unknown> },
  };
  ctx.log.info(
    `Creating preview "${pr.name}" from production's configuration${Object.keys(ctx.settings.update).length > 0 ? ' with the given fields' : ''}, tagged "${p.tag}", expiring ${new Date(mark.expiresMs).toISOString()}.`,
  );
  try {
    await ctx.api.createDeployment(body);
  } catch (error) {
    const lost = error instanceof UpdateUnconfirmedError;
    if (!lost && !(error instanceof NorthflankApiError && error.status === 409)) {
      throw createFailure(error, p.tag);
    }
    const there = await readIfExists(api);
    if (!there) throw error;
    ctx.log.info(
      lost
        ? `The create's answer was lost, and the preview "${there.id}" exists: following it.`
        : `Preview "${there.id}" was created by another run at the same time (HTTP 409): updating that one rather than making a second.`,
    );
    return lost ? { kind: 'created', first: there } : { kind: 'exists', existing: there };
  }
  // Not observed as a reading before an update: the wait's first reading is this rollout's.
  const first = await api.getDeployment();
  return { kind: 'created', first };
}

/** A create Northflank refused, with what to do; a missing tag says how to make it. */
function createFailure(error: unknown, tag: string): unknown {
  if (!(error instanceof NorthflankApiError)) return error;
  const text = (error.info.apiMessage ?? '').toLowerCase();
  if (error.status === 400 && text.includes('tag')) {
    return new PreviewError(
      `${error.message}. Previews carry the tag "${tag}" (preview-tag), and Northflank takes only tags that exist: create it once in Northflank (Team settings > Tags > Add tag, named "${tag}"), or set preview-tag to a tag you have.`,
      'Preview tag missing',
    );
  }
  return error;
}

/** Ports for the create, from production's reading (the ids and DNS are Northflank's). */
function portsOf(production: Deployment): CreateBody['ports'] {
  return (production.ports ?? []).map((port) => ({
    name: port.name,
    internalPort: port.internalPort,
    protocol: port.protocol as 'HTTP' | 'HTTP/2' | 'TCP' | 'UDP',
    ...(port.public === undefined ? {} : { public: port.public }),
    ...(port.disableNfDomain === undefined ? {} : { disableNfDomain: port.disableNfDomain }),
  }));
}

/** The cap on previews of this repository at once: refused with the ones that count. */
async function checkCap(ctx: RunContext, ownId: string): Promise<void> {
  const { p } = previewOf(ctx.settings);
  const listed = await ctx.api.listDeployments();
  const counted = listed.filter(
    (d) => d.id !== ownId && d.status !== 'deleting' && claimPreview(d, p.repository, p.tag).ours,
  );
  if (counted.length < p.maxCount) return;
  throw new PreviewError(
    `No preview: ${counted.length} preview(s) of ${repositoryName(p.repository)} exist already, and preview-max-count is ${p.maxCount}: ${counted.map((d) => `${d.id} (${d.status})`).join(', ')}. Close one of their pull requests (its preview is deleted), run the sweep, or raise preview-max-count.`,
    'Too many previews',
  );
}

/** Waits for a created preview's first rollout, as a deploy waits for its own. */
async function watchCreated(ctx: RunContext, first: Deployment): Promise<StepResult> {
  const result = await followRollout(ctx, {
    before: first,
    plan: CREATED_PLAN,
    sent: undefined,
    updateSentMs: ctx.clock.now(),
  });
  return describe(ctx, result);
}

/** The result, with the preview's URL, status and cost recorded and said. */
function describe(ctx: RunContext, result: StepResult): StepResult {
  const record = ctx.record.preview;
  const d = result.deployment;
  if (!record || !d) return result;
  record.status = d.status;
  const url = publicUrl(d);
  if (url) record.url = url;
  record.gpu = gpuUse(d.spec?.configuration);
  const hours = gpuHours(record.gpu, d.createdAt, ctx.clock.now());
  if (hours !== undefined) record.gpuHours = hours;
  const verb = record.action === 'created' ? 'created' : 'updated';
  // A create sends no update, so the wait's own words ("no update was sent") would mislead.
  const said =
    record.action === 'created' && result.outcome === 'running'
      ? 'its first rollout is running.'
      : result.message;
  return {
    ...result,
    message: `Preview "${record.id}" ${verb}: ${said}${url ? ` It serves at ${url}.` : ''}`,
  };
}

/**
 * Closed: deletes the preview and waits until Northflank answers 404. A preview that is gone
 * already is not an error; a delete Northflank refuses fails the step, and the sweep retries it.
 */
export async function closePreview(ctx: RunContext): Promise<StepResult> {
  const { api, record } = startRecord(ctx);
  retarget(ctx, api, {});
  const existing = await readIfExists(api);
  if (!existing) {
    record.action = 'already-gone';
    return {
      outcome: 'preview-deleted',
      message: `No preview "${record.id}" exists (deleted already, or never made): nothing to delete.`,
      deployment: undefined,
    };
  }
  ctx.tracker.observe(existing, ctx.clock.now(), true);
  checkOurs(ctx, existing);
  record.gpu = gpuUse(existing.spec?.configuration);
  const hours = gpuHours(record.gpu, existing.createdAt, ctx.clock.now());
  if (hours !== undefined) record.gpuHours = hours;
  const tookMs = await ctx.log.group('Deleting the preview', () =>
    deleteAndWait(ctx, api, existing.id),
  );
  record.action = 'deleted';
  record.status = 'deleted';
  return {
    outcome: 'preview-deleted',
    message: `Preview "${existing.id}" deleted: Northflank no longer shows it (gone ${formatDuration(tookMs)} after the delete).${hours === undefined ? '' : ` It used ${hours.toFixed(2)} GPU-hours.`}`,
    deployment: existing,
  };
}

/** Deletes a deployment and waits until it is gone; resolves to how long that took. */
export async function deleteAndWait(
  ctx: RunContext,
  api: NorthflankClient,
  id: string,
): Promise<number> {
  const startedMs = ctx.clock.now();
  try {
    const answer = await api.deleteDeployment();
    ctx.log.info(answer === 'gone' ? `"${id}" is gone already.` : `Delete of "${id}" accepted.`);
    if (answer === 'gone') return 0;
  } catch (error) {
    throw deleteFailure(error, id);
  }
  await waitUntilGone(ctx, api, id);
  return ctx.clock.now() - startedMs;
}

function deleteFailure(error: unknown, id: string): unknown {
  if (!(error instanceof Error) || error.name === 'CancelledError') return error;
  return new PreviewError(
    `Could not delete preview "${id}": ${error.message}. It still exists and its GPUs are billed: delete it in Northflank, or let the next run of the sweep (mode: sweep, on a schedule) retry.`,
    'Preview not deleted',
  );
}

/** Reads until a GET answers 404, within the step's deadline. */
async function waitUntilGone(ctx: RunContext, api: NorthflankClient, id: string): Promise<void> {
  const delayMs = Math.min(ctx.settings.pollIntervalMs, 5000);
  let last = 'deleting';
  for (;;) {
    if (ctx.clock.now() + delayMs > ctx.deadlineMs) {
      throw new PreviewError(
        `Preview "${id}" still shows "${last}" ${formatDuration(ctx.clock.now() - ctx.startedMs)} into the step, and the "timeout" input ends it: it may still be billed. The next run of the sweep (mode: sweep) checks it again; or check it in Northflank.`,
        'Preview not gone',
      );
    }
    await ctx.clock.sleep(delayMs, ctx.signal);
    try {
      const read = await api.getDeployment({ attempts: 1 });
      last = read.status;
      ctx.log.debug(`"${id}" is ${read.status}`);
    } catch (error) {
      if (error instanceof NorthflankApiError && error.status === 404) {
        ctx.log.info(`"${id}" is gone (HTTP 404).`);
        return;
      }
      if (error instanceof NorthflankApiError && error.status < 500 && error.status !== 429)
        throw error;
      ctx.log.debug(
        `Reading "${id}" failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/** Whether a fork's pull request: no preview for it (and no secrets). */
export function isForkPreview(ctx: Pick<RunContext, 'githubRun'>): boolean {
  return ctx.githubRun.pullRequest?.fromFork === true;
}
