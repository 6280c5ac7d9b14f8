/** An input that failed validation: names the input, the field path inside it and the rule broken. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly input: string,
    readonly rule: string,
    readonly fieldPath?: string,
  ) {
    super(
      fieldPath
        ? `Input "${input}" is invalid at ${fieldPath}: ${rule}`
        : `Input "${input}" is invalid: ${rule}`,
    );
  }
}

/** What a failed API call tells us, kept as data so the message is composed in one place. */
export interface ApiErrorInfo {
  method: string;
  /** The path without the host, ids included (they are not secret). */
  path: string;
  status: number;
  apiMessage?: string;
  /** Northflank's error id from the body, or a request id header. */
  requestId?: string;
  details?: unknown;
  /** What the user can do about it. */
  hint?: string;
  /** How long a 429 (or 503) asked the client to wait before trying again. */
  retryAfterMs?: number;
}

/** The API answered with an error status that the action will not retry (or retried in vain). */
export class NorthflankApiError extends Error {
  override readonly name = 'NorthflankApiError';
  constructor(readonly info: ApiErrorInfo) {
    super(describeApiError(info));
  }
  get status(): number {
    return this.info.status;
  }
}

/** The API could not be reached, or did not answer in time, even after retries. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    message: string,
    /** The cause in a few words (`ECONNRESET: socket hang up`), for logs that repeat it. */
    readonly reason?: string,
    /** Whether the request ran out of request-timeout (rather than failing to connect). */
    readonly timedOut = false,
  ) {
    super(message);
  }
}

/**
 * The update was sent, and no answer came that says whether Northflank acted on it (a timeout, a
 * connection reset after the request was written, a 502/504 from a gateway). It is not sent again.
 */
export class UpdateUnconfirmedError extends Error {
  override readonly name = 'UpdateUnconfirmedError';
  constructor(readonly reason: string) {
    super(`No answer to the update: ${reason}`);
  }
}

/** An update whose answer was lost did not show on the deployment in time: it may or may not have landed. */
export class UpdateNotConfirmedError extends Error {
  override readonly name = 'UpdateNotConfirmedError';
}

/** The API answered 2xx with a body that is not what the contract says. */
export class ResponseFormatError extends Error {
  override readonly name = 'ResponseFormatError';
}

/** The run's deadline (the `timeout` input) passed before the work was done. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** A pull request's run with no Northflank token (a fork gets no secrets): skipped, not failed. */
export class RunSkipped extends Error {
  override readonly name = 'RunSkipped';
}

/** The workflow was cancelled (SIGINT/SIGTERM). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(readonly signal: string) {
    super(`Cancelled by ${signal}: the workflow run was cancelled.`);
  }
}

function describeApiError(info: ApiErrorInfo): string {
  const head = `Northflank API ${info.method} ${info.path} failed with HTTP ${info.status}`;
  const parts = [info.apiMessage ? `${head}: ${info.apiMessage}` : head];
  if (info.details !== undefined) parts.push(`Details: ${compactJson(info.details, 600)}`);
  if (info.requestId) parts.push(`Request id: ${info.requestId}`);
  if (info.hint) parts.push(info.hint);
  // Joined as sentences without touching their text: a `..` inside a request id is data.
  return parts.reduce((text, part) => `${text}${/[.!?]$/.test(text) ? ' ' : '. '}${part}`);
}

/** JSON of a value, cut to `maxChars`, for quoting API data inside a message. */
export function compactJson(value: unknown, maxChars: number): string {
  let text: string;
  try {
    // JSON.stringify gives undefined (despite its type) for undefined, functions and symbols.
    text =
      value === undefined || typeof value === 'function' || typeof value === 'symbol'
        ? String(value)
        : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

/** Any thrown value as a message a user can act on (not a stack trace). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  return `Unexpected error: ${compactJson(error, 500)}`;
}

/** A short title for the failure annotation: what failed, not how. */
export function errorTitle(error: unknown): string {
  if (error instanceof InputError) return 'Invalid input';
  if (error instanceof PreviewError) return error.title;
  if (error instanceof NorthflankApiError) {
    if (error.status === 401 || error.status === 403) return 'Token refused';
    if (error.status === 404) return 'Not found';
    if (error.status === 429) return 'Rate limited';
    return 'Northflank API error';
  }
  if (error instanceof NetworkError) return 'Northflank API unreachable';
  if (error instanceof UpdateNotConfirmedError || error instanceof UpdateUnconfirmedError) {
    return 'Update not confirmed';
  }
  if (error instanceof ResponseFormatError) return 'Unexpected API response';
  if (error instanceof DeadlineError) return 'Timed out';
  if (error instanceof CancelledError) return 'Cancelled';
  if (error instanceof Error && error.name === 'ProxyConfigError') return 'Invalid proxy setting';
  return 'Deploy failed';
}

/** A preview the action will not make, update or delete, with the reason and what to do. */
export class PreviewError extends Error {
  override readonly name = 'PreviewError';
  constructor(
    message: string,
    /** The failure annotation's title. */
    readonly title: string,
  ) {
    super(message);
  }
}
