/**
 * A local emulator of the two Northflank endpoints the action uses, on 127.0.0.1: both path forms,
 * bearer-token auth, Northflank's error body, validation of the update body, rollouts that step
 * through pending → provisioning → starting → an ending, stale reads, rate-limit headers, and
 * scripted faults. The tests and the demo run the action against it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { GetLlmmodeldeploymentResult } from '@northflank/js-client';
import { deploymentIdFromName } from '../src/northflank/preview-api.js';
import { updateBodySchema, type UpdateBody } from '../src/northflank/schema.js';
import {
  splitUnknownSpecFields,
  withUnknownSpecFields,
  type UnknownSpecField,
} from '../src/northflank/spec-unknown.js';
import { DEFAULT_PLAN, statusAt, type Rollout, type RolloutPlan } from './model.js';

export const EMULATOR_TOKEN = 'nf-emulator-token';

/** A deployment as the emulator stores it. The GET body is derived from it. */
export interface StoredDeployment {
  teamId: string;
  projectId: string;
  id: string;
  name: string;
  description?: string;
  tags: string[];
  configuration: GetLlmmodeldeploymentResult['spec']['configuration'];
  ports: GetLlmmodeldeploymentResult['ports'];
  /**
   * The domains of each port, by port name, as the last update that sent ports set them. GET
   * never shows them (as Northflank's does not); an update replaces the ports whole, so a port
   * sent without `domains` has none afterwards.
   */
  domains?: Record<string, string[]>;
  createdAt: string;
  updatedAt: string;
  rollout: Rollout;
  /** What GETs show until `staleUntilMs`: the deployment as it was before the last update. */
  stale?: { body: GetLlmmodeldeploymentResult; untilMs: number; reads: number };
  deleted?: boolean;
  /** Emulator clock time of the DELETE: `deleting` for `deleteMs`, then gone (404). */
  deletedAtMs?: number;
  /** Who made it: the action's token, or a person (seeded). */
  creatorId?: string;
}

/**
 * A fault injected into the next matching request(s): `times` of them (1 by default), or, with
 * `untilMs` (emulator clock), every matching request until then (an outage of some seconds).
 */
export type Fault = {
  method?: 'GET' | 'POST' | 'DELETE';
  path?: RegExp;
  times?: number;
  untilMs?: number;
} & (
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Destroys the connection without an answer, before the request is handled. */
  | { kind: 'reset' }
  /** Handles the request (a POST is applied), then destroys the connection: the answer is lost. */
  | { kind: 'reset-after-handling' }
  /** Never answers. */
  | { kind: 'hang' }
  /** Answers normally after a delay. */
  | { kind: 'delay'; ms: number }
  /** Handles the request only after a delay (a POST is applied late), then answers. */
  | { kind: 'slow'; ms: number }
  /** Answers with this raw body and status (200 by default). */
  | { kind: 'raw'; body: string; status?: number; contentType?: string }
);

export interface RecordedRequest {
  method: string;
  /** The raw path, as sent. */
  path: string;
  atMs: number;
  authorization: string | undefined;
  userAgent: string | undefined;
  contentType: string | undefined;
  body: unknown;
  /** The status the emulator answered (0 when it did not). */
  status: number;
}

export interface EmulatorOptions {
  token?: string;
  now?: () => number;
  /** The plan of each rollout an update starts. */
  plan?: Partial<RolloutPlan>;
  /** Plans for the next rollouts, one each, in order; then `plan` again. */
  plans?: Partial<RolloutPlan>[];
  /** How long after an update GETs still show the deployment as it was. */
  staleReadMs?: number;
  /**
   * Which GETs within `staleReadMs` are stale: all of them, or every other one starting with the
   * second (replicas behind a load balancer, one of them lagging).
   */
  staleReads?: 'all' | 'alternate';
  /** Tags that exist in the account; an update naming another is refused. */
  existingTags?: string[];
  /**
   * Spec fields (dotted paths from the spec's root) this Northflank knows and the action's schema
   * does not: a Northflank newer than the action. Accepted and stored; other unknown fields are
   * refused as before.
   */
  newSpecFields?: string[];
  /**
   * Which of the two worlds the API contract leaves open: whether every accepted update starts a
   * rollout (true: an update of name, description or tags alone, or ports re-sent as they are,
   * rolls out too), or only one that changes the spec or what a GET shows of the ports (false,
   * the default).
   */
  metadataRollouts?: boolean;
  /** Requests a token may make in a window; `x-ratelimit-*` headers describe it. */
  rateLimit?: { limit: number; windowMs: number };
  deployments?: Partial<StoredDeployment>[];
  port?: number;
  /** How long a deleted deployment shows `deleting` before GETs answer 404 (2 s by default). */
  deleteMs?: number;
  /** Deployments per page of the listing, whatever per_page asks (without it: per_page, or 50). */
  pageSize?: number;
}

export interface Emulator {
  url: string;
  token: string;
  requests: RecordedRequest[];
  faults: Fault[];
  plan: RolloutPlan;
  /** Plans for the next rollouts, taken one per rollout before `plan` applies. */
  plans: Partial<RolloutPlan>[];
  staleReadMs: number;
  staleReads: 'all' | 'alternate';
  /** See EmulatorOptions.metadataRollouts; a test may switch it between updates. */
  metadataRollouts: boolean;
  /**
   * Called with each request as it arrives, before it is handled: a test changes the deployment
   * or adds a fault at an exact point of the run (the action may poll on a fake clock, faster
   * than any timer could watch it).
   */
  onRequest?: (request: RecordedRequest) => void | Promise<void>;
  /** See EmulatorOptions.deleteMs; a test may change it. */
  deleteMs: number;
  /** Every deployment the emulator holds, deleted ones too (a test's view of the project). */
  all(): StoredDeployment[];
  /** Adds a deployment as if someone had created it (another workflow, a person). */
  add(partial: Partial<StoredDeployment>): StoredDeployment;
  deployment(id?: string): StoredDeployment;
  /** Deletes a deployment now: GETs answer 404 from here on. */
  remove(id?: string): void;
  close(): Promise<void>;
}

export const DEMO_DEPLOYMENT = {
  teamId: 'demo-team',
  projectId: 'demo-project',
  id: 'llama-chat',
} as const;

/** The action's inputs that point it at this emulator's demo deployment. */
export function emulatorInputs(emulator: Pick<Emulator, 'url' | 'token'>): Record<string, string> {
  return {
    'api-token': emulator.token,
    'api-url': emulator.url,
    'project-id': DEMO_DEPLOYMENT.projectId,
    'deployment-id': DEMO_DEPLOYMENT.id,
  };
}

function seed(partial: Partial<StoredDeployment>, nowMs: number): StoredDeployment {
  const created = new Date(nowMs - 86_400_000).toISOString();
  return {
    teamId: DEMO_DEPLOYMENT.teamId,
    projectId: DEMO_DEPLOYMENT.projectId,
    id: DEMO_DEPLOYMENT.id,
    name: 'llama chat',
    description: 'Chat model served by vLLM',
    tags: ['llm'],
    configuration: {
      name: 'meta-llama/Llama-3.1-8B-Instruct',
      engine: 'vllm',
      nodeConfiguration: {
        gpu: { enabled: true, configuration: { gpuType: 'nvidia-l4', gpuCount: 1 } },
        storage: { storageClass: 'nvme', storageSize: 6144 },
      },
    },
    ports: [{ id: 'http', name: 'http', internalPort: 8000, protocol: 'HTTP', public: true }],
    createdAt: created,
    updatedAt: created,
    // Long finished: the deployment is running its first configuration.
    rollout: {
      configurationId: 'cfg-0001',
      startedAtMs: nowMs - 86_400_000,
      plan: { ...DEFAULT_PLAN },
    },
    ...partial,
  };
}

function dnsBase(d: StoredDeployment): string {
  return `${d.id}--${d.projectId}.emulator.code.run`;
}

/** The GET body, typed against Northflank's published client so the emulator keeps to the contract. */
export function toApi(d: StoredDeployment, nowMs: number): GetLlmmodeldeploymentResult {
  const status = statusAt(d.rollout, nowMs);
  const base = dnsBase(d);
  const body: GetLlmmodeldeploymentResult = {
    name: d.name,
    tags: d.tags,
    spec: { type: 'custom', configuration: d.configuration },
    id: d.id,
    projectId: d.projectId,
    entityId: d.teamId,
    entityType: 'team',
    creatorId: d.creatorId ?? 'emulator-user',
    dns: { base, zone: 'emulator.code.run' },
    ports: d.ports.map((p) => ({ ...p, dns: `${p.name}--${base}` })),
    status: status === 'gone' ? 'deleting' : (status as GetLlmmodeldeploymentResult['status']),
    deploymentConfiguration: {
      id: d.rollout.configurationId,
      createdAt: new Date(d.rollout.startedAtMs).toISOString(),
    },
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
  if (d.description !== undefined) body.description = d.description;
  return body;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else replaces. */
function deepMerge(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(target) || !isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) out[key] = deepMerge(target[key], value);
  return out;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Starts the emulator on 127.0.0.1. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now;
  const token = options.token ?? EMULATOR_TOKEN;
  const existingTags = new Set(options.existingTags ?? ['llm', 'production', 'staging', 'gpu']);
  const newSpecFields = new Set(options.newSpecFields ?? []);
  const rateLimit = options.rateLimit ?? { limit: 1000, windowMs: 3_600_000 };
  const store = new Map<string, StoredDeployment>();
  for (const partial of options.deployments ?? [{}]) {
    const d = seed(partial, now());
    store.set(d.id, d);
  }
  let configurationCounter = 1;
  let errorCounter = 0;
  let window = { startMs: now(), used: 0 };
  const sockets = new Set<Socket>();

  const emulator: Emulator = {
    url: '',
    token,
    requests: [],
    faults: [],
    plan: { ...DEFAULT_PLAN, ...options.plan },
    plans: [...(options.plans ?? [])],
    staleReadMs: options.staleReadMs ?? 0,
    staleReads: options.staleReads ?? 'all',
    metadataRollouts: options.metadataRollouts ?? false,
    deleteMs: options.deleteMs ?? 2000,
    all: () => [...store.values()],
    add(partial) {
      const d = seed(partial, now());
      store.set(d.id, d);
      return d;
    },
    deployment(id = DEMO_DEPLOYMENT.id) {
      const d = store.get(id);
      if (!d) throw new Error(`no deployment ${id}`);
      return d;
    },
    remove(id = DEMO_DEPLOYMENT.id) {
      emulator.deployment(id).deleted = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };

  function takeFault(method: string, path: string): Fault | undefined {
    // Outages that are over end here.
    emulator.faults = emulator.faults.filter((f) => f.untilMs === undefined || now() < f.untilMs);
    const index = emulator.faults.findIndex(
      (f) => (f.method === undefined || f.method === method) && (f.path?.test(path) ?? true),
    );
    if (index < 0) return undefined;
    const fault = emulator.faults[index];
    if (!fault) return undefined;
    if (fault.untilMs !== undefined) return fault;
    const times = (fault.times ?? 1) - 1;
    if (times <= 0) emulator.faults.splice(index, 1);
    else fault.times = times;
    return fault;
  }

  function send(
    res: ServerResponse,
    record: RecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    record.status = status;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      ...rateLimitHeaders(),
      ...headers,
    });
    res.end(text);
  }

  function apiError(status: number, message: string, details?: unknown): unknown {
    errorCounter++;
    const error: Record<string, unknown> = {
      status,
      message,
      id: `emu-err-${String(errorCounter).padStart(4, '0')}`,
    };
    if (details !== undefined) error.details = details;
    return { error };
  }

  function rateLimitHeaders(): Record<string, string> {
    const resetMs = Math.max(0, window.startMs + rateLimit.windowMs - now());
    return {
      'x-ratelimit-limit': String(rateLimit.limit),
      'x-ratelimit-remaining': String(Math.max(0, rateLimit.limit - window.used)),
      'x-ratelimit-reset': String(Math.ceil(resetMs / 1000)),
    };
  }

  /** Routes a request; returns the status and body to answer with. */
  function handle(
    method: string,
    rawPath: string,
    authorization: string | undefined,
    body: unknown,
  ): { status: number; body: unknown } {
    if (now() >= window.startMs + rateLimit.windowMs) window = { startMs: now(), used: 0 };
    window.used++;
    if (window.used > rateLimit.limit) {
      return {
        status: 429,
        body: apiError(429, 'Rate limit exceeded: too many requests for this token'),
      };
    }
    if (authorization !== `Bearer ${token}`) {
      return {
        status: 401,
        body: apiError(401, 'Unauthorized: the API token is missing, invalid or expired'),
      };
    }
    const segments = rawPath.split('?')[0]?.split('/').slice(1) ?? [];
    let parts: string[];
    try {
      parts = segments.map((s) => decodeURIComponent(s));
    } catch {
      return { status: 400, body: apiError(400, 'Malformed path') };
    }
    let teamId: string | undefined;
    if (parts[1] === 'teams') {
      teamId = parts[2];
      parts = [parts[0] ?? '', ...parts.slice(3)];
    }
    const [version, projects, projectId, collection, id] = parts;
    if (
      version !== 'v1' ||
      projects !== 'projects' ||
      collection !== 'llm-model-deployments' ||
      !projectId ||
      (parts.length === 5 ? !id : parts.length !== 4)
    ) {
      return { status: 404, body: apiError(404, `No route for ${method} ${rawPath}`) };
    }
    const known = [...store.values()];
    if (teamId !== undefined && !known.some((k) => k.teamId === teamId)) {
      return { status: 404, body: apiError(404, `Team "${teamId}" not found`) };
    }
    if (
      !known.some((k) => k.projectId === projectId && (teamId === undefined || k.teamId === teamId))
    ) {
      return { status: 404, body: apiError(404, `Project "${projectId}" not found`) };
    }
    if (id === undefined) {
      if (method === 'GET') return list(projectId, rawPath);
      if (method === 'POST') return create(projectId, teamId, body);
      return { status: 405, body: apiError(405, `Method ${method} not allowed`) };
    }
    const d = store.get(id);
    if (!d || d.projectId !== projectId || isGone(d)) {
      return {
        status: 404,
        body: apiError(404, `LLM model deployment "${id}" not found in project "${projectId}"`),
      };
    }
    if (method === 'GET') {
      let stale: GetLlmmodeldeploymentResult | undefined;
      if (d.stale && now() < d.stale.untilMs) {
        d.stale.reads++;
        if (emulator.staleReads === 'all' || d.stale.reads % 2 === 0) stale = d.stale.body;
      }
      return { status: 200, body: { data: stale ?? shown(d) } };
    }
    if (method === 'POST') {
      if (d.deletedAtMs !== undefined) {
        return {
          status: 409,
          body: apiError(409, `LLM model deployment "${id}" is being deleted`),
        };
      }
      return update(d, body);
    }
    if (method === 'DELETE') {
      // A second delete of one already deleting is accepted as the first was.
      d.deletedAtMs ??= now();
      return { status: 200, body: { data: {} } };
    }
    return { status: 405, body: apiError(405, `Method ${method} not allowed`) };
  }

  /** Gone for good: removed by a test, deleted and past `deleting`, or a rollout that ended so. */
  function isGone(d: StoredDeployment): boolean {
    if (d.deleted === true || statusAt(d.rollout, now()) === 'gone') return true;
    return d.deletedAtMs !== undefined && now() >= d.deletedAtMs + emulator.deleteMs;
  }

  /** The GET body of a deployment that exists: `deleting` once deleted. */
  function shown(d: StoredDeployment): GetLlmmodeldeploymentResult {
    const body = toApi(d, now());
    return d.deletedAtMs === undefined ? body : { ...body, status: 'deleting' };
  }

  /** `GET …/llm-model-deployments`: pages in creation order, the cursor naming the next one. */
  function list(projectId: string, rawPath: string): { status: number; body: unknown } {
    const query = new URLSearchParams(rawPath.split('?')[1] ?? '');
    // pageSize, when given, wins over what is asked: few deployments still span several pages.
    const perPage = options.pageSize ?? Number(query.get('per_page') ?? 50);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      return { status: 400, body: apiError(400, 'per_page must be an integer from 1 to 100') };
    }
    const cursor = query.get('cursor');
    const start = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) {
      return { status: 400, body: apiError(400, 'Invalid cursor') };
    }
    const all = [...store.values()].filter((d) => d.projectId === projectId && !isGone(d));
    const page = all.slice(start, start + perPage);
    const hasNextPage = start + perPage < all.length;
    return {
      status: 200,
      body: {
        data: { llmModelDeployments: page.map(shown) },
        pagination: {
          hasNextPage,
          count: page.length,
          ...(hasNextPage
            ? { cursor: Buffer.from(String(start + perPage), 'utf8').toString('base64url') }
            : {}),
        },
      },
    };
  }

  /** `POST …/llm-model-deployments`: the id from the name; 409 when it is taken. */
  function create(
    projectId: string,
    teamId: string | undefined,
    given: unknown,
  ): { status: number; body: unknown } {
    const invalid = (message: string, details?: unknown): { status: number; body: unknown } => ({
      status: 400,
      body: apiError(400, message, details),
    });
    if (!isPlainObject(given)) return invalid('The request body must be an object');
    const { spec, ...rest } = given;
    if (typeof rest.name !== 'string') return invalid('name is required');
    if (!isPlainObject(spec) || spec.type !== 'custom' || !isPlainObject(spec.configuration)) {
      return invalid('spec is required, with type "custom" and a configuration');
    }
    const parsed = updateBodySchema().safeParse({
      ...rest,
      spec: { configuration: spec.configuration },
    });
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({
        path: i.path.join('.'),
        message: i.message,
      }));
      return invalid('Validation failed for the request body', details);
    }
    const body = parsed.data;
    const configuration = body.spec?.configuration ?? {};
    const storage = configuration.nodeConfiguration?.storage;
    if (storage && storage.storageSize === undefined) {
      return invalid('spec.configuration.nodeConfiguration.storage.storageSize is required');
    }
    const unknownTags = (body.tags ?? []).filter((t) => !existingTags.has(t));
    if (unknownTags.length > 0) {
      return invalid(`Tag(s) not found: ${unknownTags.join(', ')}. Create them first.`);
    }
    const id = deploymentIdFromName(rest.name);
    const taken = store.get(id);
    if (taken && taken.projectId === projectId && !isGone(taken)) {
      return {
        status: 409,
        body: apiError(409, `An LLM model deployment named "${id}" already exists`),
      };
    }
    configurationCounter++;
    const created = new Date(now()).toISOString();
    const d: StoredDeployment = {
      teamId: teamId ?? known0(projectId)?.teamId ?? DEMO_DEPLOYMENT.teamId,
      projectId,
      id,
      name: rest.name,
      ...(body.description === undefined ? {} : { description: body.description }),
      tags: body.tags ?? [],
      configuration: configuration as StoredDeployment['configuration'],
      ports: (body.ports ?? []).map((p) => ({
        id: p.name.toLowerCase(),
        name: p.name,
        internalPort: p.internalPort,
        protocol: p.protocol,
        public: p.public ?? false,
      })),
      createdAt: created,
      updatedAt: created,
      creatorId: 'emulator-token',
      rollout: {
        configurationId: `cfg-${String(configurationCounter).padStart(4, '0')}`,
        startedAtMs: now(),
        plan: { ...emulator.plan, ...emulator.plans.shift() },
      },
    };
    store.set(id, d);
    return { status: 200, body: { data: { id } } };
  }

  function known0(projectId: string): StoredDeployment | undefined {
    return [...store.values()].find((k) => k.projectId === projectId);
  }

  /** The body, with the spec fields newer than the action set aside when all unknown ones are. */
  function splitNewFields(body: unknown): { body: unknown; newer: UnknownSpecField[] } {
    if (typeof body !== 'object' || body === null || !('spec' in body)) return { body, newer: [] };
    const { known, unknown } = splitUnknownSpecFields(body.spec);
    if (unknown.length === 0 || !unknown.every((f) => newSpecFields.has(f.path))) {
      return { body, newer: [] };
    }
    return { body: { ...body, spec: known }, newer: unknown };
  }

  function update(d: StoredDeployment, given: unknown): { status: number; body: unknown } {
    const { body, newer } = splitNewFields(given);
    const parsed = updateBodySchema().safeParse(body);
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({
        path: i.path.join('.'),
        message: i.message,
      }));
      return {
        status: 400,
        body: apiError(400, 'Validation failed for the request body', details),
      };
    }
    const change: UpdateBody = parsed.data;
    if (change.spec && newer.length > 0) change.spec = withUnknownSpecFields(change.spec, newer);
    const unknownTags = (change.tags ?? []).filter((t) => !existingTags.has(t));
    if (unknownTags.length > 0) {
      return {
        status: 400,
        body: apiError(400, `Tag(s) not found: ${unknownTags.join(', ')}. Create them first.`),
      };
    }
    const before = toApi(d, now());
    const nextConfiguration = change.spec?.configuration
      ? (deepMerge(d.configuration, change.spec.configuration) as StoredDeployment['configuration'])
      : d.configuration;
    const nextPorts = change.ports
      ? change.ports.map((p) => ({
          id: p.name.toLowerCase(),
          name: p.name,
          internalPort: p.internalPort,
          protocol: p.protocol,
          public: p.public ?? false,
          ...(p.disableNfDomain === undefined ? {} : { disableNfDomain: p.disableNfDomain }),
        }))
      : d.ports;
    const needsRollout =
      emulator.metadataRollouts ||
      !sameJson(nextConfiguration, d.configuration) ||
      !sameJson(nextPorts, d.ports);
    if (change.ports) {
      // Replaced whole: a port sent without domains keeps none.
      d.domains = Object.fromEntries(
        change.ports.flatMap((p) => (p.domains === undefined ? [] : [[p.name, [...p.domains]]])),
      );
    }
    if (change.name !== undefined) d.name = change.name;
    if (change.description !== undefined) d.description = change.description;
    if (change.tags !== undefined) d.tags = change.tags;
    d.configuration = nextConfiguration;
    d.ports = nextPorts;
    // updatedAt has millisecond resolution; keep it moving even for two updates in one millisecond.
    d.updatedAt = new Date(Math.max(now(), Date.parse(d.updatedAt) + 1)).toISOString();
    if (needsRollout) {
      configurationCounter++;
      d.rollout = {
        configurationId: `cfg-${String(configurationCounter).padStart(4, '0')}`,
        startedAtMs: now(),
        plan: { ...emulator.plan, ...emulator.plans.shift() },
      };
    }
    if (emulator.staleReadMs > 0)
      d.stale = { body: before, untilMs: now() + emulator.staleReadMs, reads: 0 };
    return { status: 200, body: { data: { id: d.id } } };
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      let badJson = false;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          badJson = true;
          body = text;
        }
      }
      const method = req.method ?? 'GET';
      const record: RecordedRequest = {
        method,
        path: req.url ?? '',
        atMs: now(),
        authorization: req.headers.authorization,
        userAgent: req.headers['user-agent'],
        contentType: req.headers['content-type'],
        body,
        status: 0,
      };
      emulator.requests.push(record);
      // A hook that returns a promise (it sends a request of its own) holds this one until then.
      const held = emulator.onRequest?.(record);
      if (held)
        void held.then(() => {
          respond(req, res, record, method, body, badJson);
        });
      else respond(req, res, record, method, body, badJson);
    });
  });

  function respond(
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    method: string,
    body: unknown,
    badJson: boolean,
  ): void {
    const fault = takeFault(method, record.path);
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'status') {
      send(
        res,
        record,
        fault.status,
        fault.body ?? apiError(fault.status, `Injected HTTP ${fault.status}`),
        fault.headers,
      );
      return;
    }
    if (fault?.kind === 'raw') {
      record.status = fault.status ?? 200;
      res.writeHead(record.status, { 'content-type': fault.contentType ?? 'text/html' });
      res.end(fault.body);
      return;
    }
    const answerNow = (): { status: number; body: unknown } =>
      badJson
        ? { status: 400, body: apiError(400, 'Request body is not valid JSON') }
        : handle(method, record.path, req.headers.authorization, body);
    if (fault?.kind === 'slow') {
      setTimeout(() => {
        const late = answerNow();
        if (!res.destroyed) send(res, record, late.status, late.body);
      }, fault.ms);
      return;
    }
    const answer = answerNow();
    if (fault?.kind === 'reset-after-handling') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') {
      setTimeout(() => {
        send(res, record, answer.status, answer.body);
      }, fault.ms);
      return;
    }
    send(res, record, answer.status, answer.body);
  }

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A port in use rejects here (EADDRINUSE) instead of crashing the process with an unhandled event.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  emulator.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return emulator;
}
