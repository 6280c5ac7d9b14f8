// How an input's value is shown in a message: quoted and cut, so one long value cannot flood it.

const MAX_QUOTED_CHARS = 60;

/** A value quoted for a message: JSON string syntax shows control characters, and it is cut. */
export function quote(text: string): string {
  return JSON.stringify(shorten(text));
}

/** A value cut for quoting in a message. */
export function shorten(text: string): string {
  if (text.length <= MAX_QUOTED_CHARS) return text;
  // Cut before a lone high surrogate, so the quote stays valid text.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_QUOTED_CHARS - 1))
    ? MAX_QUOTED_CHARS - 1
    : MAX_QUOTED_CHARS;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}
