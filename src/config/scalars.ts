// The one-value inputs: ids, URLs, booleans and durations, each checked with a message that names it.
import { parseDuration } from '../duration.js';
import { InputError } from '../errors.js';
import { shorten } from '../shorten.js';
import { quote } from './quoting.js';
import { DEFAULT_API_URL } from './settings.js';

/** An id that becomes one URL path segment; required ones throw when empty. */
export function parseId<Required extends boolean>(
  name: string,
  value: string,
  required: Required,
): Required extends true ? string : string | undefined;
export function parseId(name: string, value: string, required: boolean): string | undefined {
  if (value === '') {
    if (required) throw new InputError(name, 'is required');
    return undefined;
  }
  // Each id is one URL path segment; a slash or dot-segment would address another resource.
  if (value.includes('/') || value.includes('\\') || value === '.' || value === '..') {
    throw new InputError(name, `must be a single id, without "/" or "\\" (got ${quote(value)})`);
  }
  if (/[\s\p{Cc}]/u.test(value)) {
    throw new InputError(
      name,
      `must not contain white space or control characters (got ${quote(value)})`,
    );
  }
  if (value.length > 200)
    throw new InputError(name, `must be at most 200 characters (got ${quote(value)})`);
  return value;
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * `api-url`: https, or http only to this machine (the local emulator), since it carries the token.
 * A trailing `/v1` is dropped (with a warning), since the action adds it to every path itself.
 */
export function parseApiUrl(value: string, warnings: string[] = []): URL {
  const url = parseHttpUrl('api-url', value);
  if (/\/v1$/i.test(url.pathname)) {
    url.pathname = url.pathname.replace(/\/v1$/i, '');
    warnings.push(
      `Input "api-url" ends in /v1; the action adds /v1 itself, so it uses ${url.origin}${url.pathname} (drop /v1 from api-url to silence this warning).`,
    );
  }
  return url;
}

/** An https URL (or http to a loopback address), named `name` in errors. */
export function parseHttpUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const example = name === 'api-url' ? DEFAULT_API_URL : 'https://model.example.com';
    throw new InputError(
      name,
      `must be an absolute URL such as ${example} (got "${shorten(value)}")`,
    );
  }
  if (url.username || url.password) {
    throw new InputError(name, 'must not contain credentials');
  }
  // Quoted without its query or fragment, which may carry a key.
  const shown = quote(`${url.protocol}//${url.host}${url.pathname}`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new InputError(
      name,
      `must use https:// (http:// is allowed only to a loopback address such as 127.0.0.1), because it carries credentials (got ${shown})`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(name, `must be an https:// URL (got ${shown})`);
  }
  if (url.search || url.hash)
    throw new InputError(
      name,
      `must not have a query or fragment (got ${shown}, then a query or fragment)`,
    );
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** `true` or `false`, in the spellings core.getBooleanInput accepts. */
export function parseBoolean(name: string, value: string): boolean {
  // The same spellings as core.getBooleanInput (YAML 1.2 core schema), with our own message.
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(name, `must be true or false (got "${shorten(value)}")`);
}

/** A duration greater than zero (`90s`, `15m`, `1h30m`, or seconds), in milliseconds. */
export function parseDurationInput(name: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new InputError(
      name,
      `must be a duration such as 90s, 15m, 1h30m or a number of seconds (got "${shorten(value)}")`,
    );
  }
  if (ms <= 0) throw new InputError(name, `must be greater than zero (got ${quote(value)})`);
  return ms;
}

/** parseDurationInput, or undefined for an input left empty. */
export function parseOptionalDuration(name: string, value: string): number | undefined {
  return value === '' ? undefined : parseDurationInput(name, value);
}
