/** Cutting a long value for a message or a table, so that one value cannot flood it. Pure. */

/** How much of an input's value a message quotes. */
const MAX_QUOTED_CHARS = 60;

/** `text`, or its first `maxChars` characters and how long it was. */
export function shorten(text: string, maxChars = MAX_QUOTED_CHARS): string {
  if (text.length <= maxChars) return text;
  // Cut before a lone high surrogate, so the quote stays valid text.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}
