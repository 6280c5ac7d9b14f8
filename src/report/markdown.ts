/** Escaping of API and input text for the job summary and the pull request comment. Pure. */
import { neutralise } from '../log.js';

/**
 * Text for the summary: no HTML, no Markdown (links, images, emphasis, code), no pipes, no line
 * breaks, no workflow commands from API text. Markdown punctuation becomes numeric character
 * references, which GitHub shows as the characters but never parses as syntax.
 */
export function escapeCell(text: string, maxChars = 500): string {
  return neutralise(text, maxChars)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[|`[\]()!*_~\\#]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** API text as inline code; `<code>` rather than backticks, since a code span shows entities raw. */
export function code(text: string): string {
  return `<code>${escapeCell(text)}</code>`;
}

/** A URL fit for a Markdown link target: http(s), and nothing that ends the link early. */
export function safeLink(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    return parsed.href.replace(/[()<>\s"'`]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  } catch {
    return undefined;
  }
}
