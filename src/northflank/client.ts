import {
  httpRequest,
  isTlsFailure,
  parseJsonOrUndefined,
  readPrefix,
  type Dispatcher,
} from '../http/request.js';
import type { Clock } from '../clock.js';
import {
  CancelledError,
  DeadlineError,
  NetworkError,
  NorthflankApiError,
  ResponseFormatError,
  UpdateUnconfirmedError,
  compactJson,
  type ApiErrorInfo,
} from '../errors.js';
import { formatDuration } from '../duration.js';
import type { Logger } from '../log.js';
import { neutralise } from '../log.js';
import {
  backoffDelayMs,
  rateLimitDelayMs,
  RETRYABLE_STATUSES,
  UPDATE_AMBIGUOUS_STATUSES,
  UPDATE_RETRYABLE_STATUSES,
  type BackoffPolicy,
} from '../http/retry.js';
import { RequestBudget } from '../http/budget.js';
import { collectionPath, parseListing, type CreateBody } from './preview-api.js';
import {
  apiErrorBodySchema,
  getDeploymentResponseSchema,
  type Deployment,
  type UpdateBody,
} from './schema.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Northflank's documented budget per token and hour. */
export const HOURLY_REQUEST_BUDGET = 1000;
const LOW_BUDGET_FRACTION = 0.1;
const BUDGET_TEXT = 'at most 20 requests a minute and 100 in 30 minutes';
/** A deployment is a few KB; anything far larger is not the API talking. */
const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
/** An error body is read this far only: its message is all the action quotes. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

const PERMISSION = {
  GET: 'Project > AiModels > General > Read',
  POST: 'Project > AiModels > General > Update',
  DELETE: 'Project > AiModels > General > Delete',
} as const;
const CREATE_PERMISSION = 'Project > AiModels > General > Create';

export interface DeploymentRef {
  projectId: string;
  deploymentId: string;
  teamId: string | undefined;
}

export interface ClientOptions {
  apiUrl: URL;
  token: string;
  target: DeploymentRef;
  userAgent: string;
  dispatcher: Dispatcher;
  clock: Clock;
  random: () => number;
  /** Aborts when the workflow is cancelled. */
  signal: AbortSignal;
  /** Clock time after which no request or retry may start. */
  deadlineMs: number;
  requestTimeoutMs: number;
  backoff: BackoffPolicy;
  log: Logger;
  /** The run's request budget; every attempt counts against it and waits for room in it. */
  budget?: RequestBudget;
  /** Shared by the clients of one run (production's and a preview's), for the report. */
  counter?: { requests: number };
}

/** The path of the deployment: team-scoped when a team is given, each id one encoded segment. */
export function deploymentPath(target: DeploymentRef): string {
  const project = `projects/${encodeURIComponent(target.projectId)}/llm-model-deployments/${encodeURIComponent(target.deploymentId)}`;
  return target.teamId === undefined
    ? `/v1/${project}`
    : `/v1/teams/${encodeURIComponent(target.teamId)}/${project}`;
}

type Method = 'GET' | 'POST' | 'DELETE';

/** A request to the collection (list, create) rather than to the deployment itself. */
interface Call {
  path: string;
  /** The permission the request needs, for a 403. */
  permission: string;
}

/** How one attempt ended, before deciding whether to try again. */
type Attempt =
  | {
      kind: 'response';
      status: number;
      headers: Record<string, string | string[] | undefined>;
      text: string;
    }
  // `sent` says whether the server may have acted on the request; `tls` that the TLS handshake
  // failed, which retrying does not fix; `timedOut` that request-timeout ran out.
  | { kind: 'network'; reason: string; sent: boolean; tls?: boolean; timedOut?: boolean };

// Errors raised before a single byte of the request could have reached the server.
// undici's own per-phase timeouts, which request-timeout sets.
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  return errorCode(cause);
}

/** The Northflank API for one deployment: reads and updates it, with timeouts and retries. */
export class NorthflankClient {
  private lowBudgetWarned = false;
  /** The last rate-limit headers seen, for the report. */
  rateLimitRemaining: number | undefined;
  private readonly budget: RequestBudget;
  private readonly counter: { requests: number };

  private deadlineMs: number;

  constructor(private readonly options: ClientOptions) {
    this.budget = options.budget ?? new RequestBudget();
    this.counter = options.counter ?? { requests: 0 };
    this.deadlineMs = options.deadlineMs;
  }

  /** The requests made so far, by this client and every client made from it. */
  get requestCount(): number {
    return this.counter.requests;
  }

  /** A client for another deployment of the project, sharing the budget, the pool and the count. */
  forDeployment(deploymentId: string): NorthflankClient {
    const client = new NorthflankClient({
      ...this.options,
      target: { ...this.options.target, deploymentId },
      budget: this.budget,
      counter: this.counter,
    });
    client.deadlineMs = this.deadlineMs;
    return client;
  }

  /** The deployment this client reads and writes. */
  get target(): DeploymentRef {
    return this.options.target;
  }

  /** Moves the time after which no request may start (a revert gets its own deadline). */
  extendDeadline(deadlineMs: number): void {
    this.deadlineMs = Math.max(this.deadlineMs, deadlineMs);
  }

  /** The path of this deployment, for messages. */
  get path(): string {
    return deploymentPath(this.options.target);
  }

  /** Closes the connections; in-flight requests are aborted. */
  async close(): Promise<void> {
    await this.options.dispatcher.destroy();
  }

  /**
   * GET the deployment, retrying transient failures up to `attempts` times in all (the backoff
   * policy's by default; the wait reads once and outlasts outages itself). A deployment other than
   * the one asked for is refused.
   */
  async getDeployment(options: { attempts?: number } = {}): Promise<Deployment> {
    const attempt = await this.withRetries('GET', undefined, RETRYABLE_STATUSES, options.attempts);
    const deployment = this.parseDeployment(attempt.text);
    const asked = this.options.target.deploymentId;
    if (deployment.id !== asked) {
      throw new ResponseFormatError(
        `Northflank API GET ${this.path} answered with deployment "${neutralise(deployment.id, 100)}", not "${asked}"; the action will not act on another deployment's state. Check api-url: a proxy or gateway in front of it may route requests wrongly`,
      );
    }
    return deployment;
  }

  /**
   * POST the update. Sent again only where the server cannot have acted on it (connection refused,
   * DNS failure, an explicit 429 or 503). When it may have (no answer after the request was
   * written, 502/504), throws UpdateUnconfirmedError instead: the caller watches for the update.
   */
  async updateDeployment(body: UpdateBody): Promise<void> {
    await this.withRetries('POST', JSON.stringify(body), UPDATE_RETRYABLE_STATUSES);
  }

  /**
   * POST a new deployment to the project (the id Northflank derives from its name). Sent again
   * only where Northflank cannot have acted on it, as an update; a lost answer throws
   * UpdateUnconfirmedError (read the deployment to learn whether it was created); a name taken
   * throws the 409.
   */
  async createDeployment(body: CreateBody): Promise<void> {
    await this.withRetries(
      'POST',
      JSON.stringify(body),
      UPDATE_RETRYABLE_STATUSES,
      this.options.backoff.maxAttempts,
      { path: collectionPath(this.options.target), permission: CREATE_PERMISSION },
    );
  }

  /** GET every deployment of the project, page after page (the cursor), up to `maxPages`. */
  async listDeployments(maxPages = 50): Promise<Deployment[]> {
    const all: Deployment[] = [];
    let cursor: string | undefined;
    const base = collectionPath(this.options.target);
    for (let page = 0; page < maxPages; page++) {
      const query = `?per_page=100${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const call = { path: `${base}${query}`, permission: PERMISSION.GET };
      const answer = await this.withRetries('GET', undefined, RETRYABLE_STATUSES, undefined, call);
      const listed = parseListing(answer.text, call.path);
      all.push(...listed.deployments);
      if (!listed.next) return all;
      cursor = listed.next;
    }
    throw new ResponseFormatError(
      `Northflank API GET ${base} still had more pages after ${maxPages} of 100 deployments; the action stops there rather than page for ever`,
    );
  }

  /**
   * DELETE the deployment (retried like a read: deleting twice is deleting once). Resolves to
   * `gone` when Northflank already knows no such deployment (404), else `accepted`.
   */
  async deleteDeployment(): Promise<'accepted' | 'gone'> {
    try {
      await this.withRetries('DELETE', undefined, RETRYABLE_STATUSES);
      return 'accepted';
    } catch (error) {
      if (error instanceof NorthflankApiError && error.info.status === 404) return 'gone';
      throw error;
    }
  }

  private async withRetries(
    method: Method,
    body: string | undefined,
    retryable: ReadonlySet<number>,
    maxAttempts = this.options.backoff.maxAttempts,
    call?: Call,
  ): Promise<Extract<Attempt, { kind: 'response' }>> {
    const path = call?.path ?? this.path;
    const { clock, backoff, log } = this.options;
    // Whether any attempt ran out of request-timeout: the last one may only have been cut short
    // by the run's deadline, and the advice is about request-timeout all the same.
    let requestTimedOut = false;
    for (let attempt = 0; ; attempt++) {
      const result = await this.attempt(method, body, path);
      if (result.kind === 'response' && result.status >= 200 && result.status < 300) return result;
      if (result.kind === 'network' && result.timedOut) requestTimedOut = true;

      if (
        method === 'POST' &&
        (result.kind === 'network' ? result.sent : UPDATE_AMBIGUOUS_STATUSES.has(result.status))
      ) {
        throw new UpdateUnconfirmedError(
          result.kind === 'network' ? result.reason : `HTTP ${result.status} from a gateway`,
        );
      }
      const retryAllowed =
        result.kind === 'response'
          ? retryable.has(result.status)
          : !result.tls && (method !== 'POST' || !result.sent);
      const asked =
        result.kind === 'response' && result.status === 429
          ? rateLimitDelayMs(result.headers, clock.now())
          : undefined;
      const waitMs = asked ?? backoffDelayMs(attempt, backoff, this.options.random);
      const outOfTime = clock.now() + waitMs > this.deadlineMs;
      if (!retryAllowed || attempt + 1 >= maxAttempts || outOfTime) {
        const why = !retryAllowed
          ? undefined
          : outOfTime
            ? `gave up after ${attempt + 1} attempt(s): ${asked === undefined ? 'the next retry' : `the rate limit, which resets in ${formatDuration(waitMs)},`} would end after the deadline set by the "timeout" input`
            : `gave up after ${attempt + 1} attempts`;
        throw this.finalError(method, result, why, requestTimedOut, call);
      }
      const reason = result.kind === 'response' ? `HTTP ${result.status}` : result.reason;
      log.warning(
        `${method} ${path} failed (${reason}); retrying in ${formatDuration(waitMs)} (attempt ${attempt + 2} of ${maxAttempts})`,
      );
      await this.sleep(waitMs);
    }
  }

  /** The error for a failure that will not be retried; `why` says why retrying stopped. */
  private finalError(
    method: Method,
    result: Attempt,
    why: string | undefined,
    requestTimedOut = false,
    call?: Call,
  ): Error {
    const path = call?.path ?? this.path;
    if (result.kind === 'response') {
      const error = this.apiError(method, result, call);
      return why
        ? new NorthflankApiError({
            ...error.info,
            hint: `${error.info.hint ?? ''}${error.info.hint ? '. ' : ''}The action ${why}`,
          })
        : error;
    }
    const origin = this.options.apiUrl.origin;
    if (result.tls) {
      return new NetworkError(
        `Could not set up a secure (TLS) connection to ${origin} (${method} ${path}): ${result.reason}. This is not retried: the URL may be wrong (an https:// api-url pointing at a plain-HTTP port, or at a host whose certificate does not match), or a proxy intercepts TLS. Check api-url`,
      );
    }
    const timedOut = result.timedOut === true || requestTimedOut;
    const hint = timedOut
      ? `The API did not answer within "request-timeout"; raise request-timeout if the API is slow from this runner, and check api-url and any HTTPS_PROXY setting`
      : `Check api-url, the runner's network and any HTTPS_PROXY setting; Northflank's status page says whether the API is down`;
    return new NetworkError(
      `Could not reach the Northflank API at ${origin} (${method} ${path}): ${result.reason}${why ? `; ${why}` : ''}. ${hint}`,
      result.reason,
      timedOut,
    );
  }

  private async sleep(ms: number): Promise<void> {
    await this.options.clock.sleep(ms, this.options.signal);
  }

  private async attempt(method: Method, body: string | undefined, path: string): Promise<Attempt> {
    const { clock, signal, requestTimeoutMs } = this.options;
    const { deadlineMs } = this;
    signal.throwIfAborted();
    await this.waitForBudget(method);
    const remainingMs = deadlineMs - clock.now();
    if (remainingMs <= 0)
      throw new DeadlineError(`the deadline set by "timeout" passed before ${method} ${path}`);
    this.budget.record(clock.now());
    const timeout = AbortSignal.timeout(Math.min(requestTimeoutMs, remainingMs));
    // Concatenated, not resolved: `new URL('//v1/...', base)` would take "v1" for a host.
    const url = new URL(
      `${this.options.apiUrl.origin}${this.options.apiUrl.pathname.replace(/\/+$/, '')}${path}`,
    );
    this.counter.requests++;
    const startedMs = performance.now();
    try {
      const response = await httpRequest(this.options.dispatcher, url, {
        method,
        signal: AbortSignal.any([signal, timeout]),
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: 'application/json',
          'user-agent': this.options.userAgent,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body,
      });
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      const read = await readPrefix(response.body, ok ? MAX_RESPONSE_BYTES : MAX_ERROR_BODY_BYTES);
      if (ok && read.truncated) {
        throw new ResponseFormatError(
          `Northflank API ${method} ${path} answered HTTP ${response.statusCode} with a body over ${MAX_RESPONSE_BYTES} bytes; a deployment is a few KB. Check api-url: it should point at the Northflank API`,
        );
      }
      const text = read.truncated
        ? `${read.text}… (cut at ${MAX_ERROR_BODY_BYTES} bytes)`
        : read.text;
      this.trackRateLimit(response.headers);
      this.options.log.debug(
        `${method} ${path} -> HTTP ${response.statusCode} in ${Math.round(performance.now() - startedMs)}ms (rate limit remaining: ${this.rateLimitRemaining ?? 'unknown'})`,
      );
      return { kind: 'response', status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      if (error instanceof ResponseFormatError) throw error;
      if (signal.aborted) throw cancellation(signal);
      return networkFailure(error, timeout.aborted, requestTimeoutMs, remainingMs);
    }
  }

  /** Waits until the run's request budget has room, whatever the API answered before. */
  private async waitForBudget(method: Method): Promise<void> {
    const { clock, log } = this.options;
    // The current deadline: a revert extends it.
    const { deadlineMs } = this;
    const waitMs = this.budget.delayMs(clock.now());
    if (waitMs <= 0) return;
    if (clock.now() + waitMs >= deadlineMs) {
      // Nothing more can be learnt before the deadline; the run still ends at it, not before.
      await this.sleep(Math.max(0, deadlineMs - clock.now()));
      throw new DeadlineError(
        `the run's request budget (${BUDGET_TEXT}) allows the next ${method} only after the deadline set by "timeout"`,
      );
    }
    log.debug(`Request budget (${BUDGET_TEXT}): next ${method} in ${formatDuration(waitMs)}`);
    await this.sleep(waitMs);
  }

  private trackRateLimit(headers: Record<string, string | string[] | undefined>): void {
    const remaining = Number(headers['x-ratelimit-remaining']);
    if (!Number.isFinite(remaining)) return;
    this.rateLimitRemaining = remaining;
    const limit = Number(headers['x-ratelimit-limit']) || HOURLY_REQUEST_BUDGET;
    if (!this.lowBudgetWarned && remaining < limit * LOW_BUDGET_FRACTION) {
      this.lowBudgetWarned = true;
      this.options.log.warning(
        `This API token has ${remaining} of its ${limit} requests left in the current hour; other tools may share it. Raise "poll-interval" or use a token of its own for this action.`,
      );
    }
  }

  private parseDeployment(text: string): Deployment {
    const json = parseJsonOrUndefined(text);
    if (json === undefined) {
      throw new ResponseFormatError(
        `Northflank API GET ${this.path} answered with a body that is not JSON: "${neutralise(text.trim(), 200)}". Check api-url: it should point at the Northflank API, not a web page or proxy`,
      );
    }
    const parsed = getDeploymentResponseSchema().safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      throw new ResponseFormatError(
        `Northflank API GET ${this.path} answered with a deployment in an unexpected shape (${issues}); excerpt: ${neutralise(compactJson(json, 200), 200)}`,
      );
    }
    return parsed.data.data;
  }

  private apiError(
    method: Method,
    result: Extract<Attempt, { kind: 'response' }>,
    call?: Call,
  ): NorthflankApiError {
    const { status } = result;
    const info: ApiErrorInfo = { method, path: call?.path ?? this.path, status };
    const header = result.headers['x-request-id'];
    if (typeof header === 'string') info.requestId = neutralise(header, 100);
    const body = apiErrorBodySchema().safeParse(parseJsonOrUndefined(result.text));
    if (body.success) {
      const { message, id, details } = body.data.error;
      if (typeof message === 'string' && message) info.apiMessage = neutralise(message, 1000);
      if (typeof id === 'string' && id) info.requestId = neutralise(id, 100);
      if (details !== undefined) info.details = details;
    } else if (result.text.trim() !== '') {
      info.apiMessage = `(not a Northflank error body) "${neutralise(result.text.trim(), 200)}"`;
    }
    const hint = this.hintFor(method, status, call);
    if (hint) info.hint = hint;
    // A 429 says when the rate-limit window resets; a 503 may say when to come back, but its
    // `x-ratelimit-reset` is only the window's, not an instruction.
    if (status === 429 || status === 503) {
      const headers =
        status === 429 ? result.headers : { 'retry-after': result.headers['retry-after'] };
      const retryAfterMs = rateLimitDelayMs(headers, this.options.clock.now());
      if (retryAfterMs !== undefined) info.retryAfterMs = retryAfterMs;
    }
    return new NorthflankApiError(info);
  }

  private hintFor(method: Method, status: number, call?: Call): string | undefined {
    const { projectId, deploymentId, teamId } = this.options.target;
    if (status >= 300 && status < 400) {
      return 'The API answered with a redirect, which the action does not follow with your token; check api-url';
    }
    switch (status) {
      case 401:
        return 'The API token was refused: check that the api-token secret holds a current Northflank API token';
      case 403:
        return `The token lacks the permission "${call?.permission ?? PERMISSION[method]}" on this project${teamId === undefined ? ', or it is an organisation token: set team-id' : ''}`;
      case 404:
        if (call)
          return `Check that project "${projectId}"${teamId === undefined ? '' : ` in team "${teamId}"`} exists and that the token can see it`;
        return `Check that project "${projectId}"${teamId === undefined ? '' : ` in team "${teamId}"`} has an LLM model deployment "${deploymentId}" and that the token can see it`;
      case 400:
      case 409:
      case 422:
        if (method !== 'POST') return undefined;
        return call
          ? 'Northflank rejected the new deployment; the message says which field'
          : 'Northflank rejected the update; fix the inputs named in the message';
      case 429:
        return `The token's rate limit (${HOURLY_REQUEST_BUDGET} requests an hour) is used up; raise "poll-interval" or try again later`;
      default:
        return status >= 500
          ? 'Northflank had a server error; try again in a few minutes'
          : undefined;
    }
  }
}

/**
 * A request that got no answer: the request's own timeout (`timedOut`) within what was left of
 * the deadline, or a connection error, and whether it may have reached the server.
 */
function networkFailure(
  error: unknown,
  timedOut: boolean,
  requestTimeoutMs: number,
  remainingMs: number,
): Extract<Attempt, { kind: 'network' }> {
  if (timedOut) {
    return {
      kind: 'network',
      reason: `no answer within ${formatDuration(Math.min(requestTimeoutMs, remainingMs))}`,
      sent: true,
      timedOut: requestTimeoutMs <= remainingMs,
    };
  }
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const tls = isTlsFailure(code, message);
  return {
    kind: 'network',
    reason: neutralise(code ? `${code}: ${message}` : message, 300),
    sent: !tls && (code === undefined || !NOT_SENT_CODES.has(code)),
    tls,
    timedOut: code !== undefined && TIMEOUT_CODES.has(code),
  };
}

function cancellation(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new CancelledError('abort');
}
