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
