/** Joining messages without saying things twice. Pure. */

/** The sentences of a message: split after `.`, `!` or `?` followed by white space. */
export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `text` without the sentences `said` already holds, for a message that follows `said`. */
export function withoutRepeats(text: string, said: string): string {
  const already = new Set(sentencesOf(said));
  return sentencesOf(text)
    .filter((s) => !already.has(s))
    .join(' ');
}
