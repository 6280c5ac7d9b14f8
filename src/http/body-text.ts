/**
 * Whether a response body can be quoted: a body the server encoded (gzip, br, deflate, zstd: the
 * action asks for none and decodes none) or that is not text (binary bytes) is never quoted into
 * a warning or an error, only said what it is. Pure.
 */
import { neutralise } from '../log.js';

/** A content-encoding header's value, when the body is encoded (anything but identity). */
export function bodyEncoding(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header.join(', ') : (header ?? '')).trim().toLowerCase();
  return value === '' || value === 'identity' ? undefined : value;
}

/** A character text does not have: C0 controls but tab, LF, CR; U+FFFD from bad UTF-8. */
function notText(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffd;
}

/** Whether decoded text holds characters that text does not (1 in 100 or more, or any NUL). */
export function looksBinary(text: string): boolean {
  let odd = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) return true;
    if (notText(code)) odd++;
  }
  return odd > 0 && odd * 100 >= text.length;
}

/** What a body that cannot be quoted is, for a message; undefined when it can be quoted. */
export function unquotableBody(text: string, encoding: string | undefined): string | undefined {
  if (encoding !== undefined)
    return `a ${encoding}-encoded body (content-encoding: ${encoding}; the action asks for no encoding and decodes none), not quoted`;
  if (looksBinary(text)) return 'a body that is not text (binary bytes), not quoted';
  return undefined;
}

/** The body, quoted safely and bounded, or what it is when it cannot be quoted. */
export function quoteBody(text: string, encoding: string | undefined, maxChars: number): string {
  return unquotableBody(text, encoding) ?? neutralise(text.trim() || '(empty body)', maxChars);
}
