/**
 * The bottom floor of the log: the Logger every module writes through, and the neutralising of
 * untrusted text that every floor needs. The logger itself (over the runner's log,
 * src/runner/protocol.ts) is in src/runner/logger.ts.
 */

/** The longest log message we write; API text beyond this is cut so one response cannot flood the log. */
export const MAX_LOG_MESSAGE_CHARS = 4000;

// U+200B is not white space to the runner's parser (.NET Char.IsWhiteSpace is false for it), so
// putting it between the characters of a command marker stops the runner from seeing a command
// while the text still reads the same to a person.
const ZERO_WIDTH_SPACE = '\u200B';

/**
 * Makes text safe to print on one log line: folds CR/LF into spaces, breaks `##[` anywhere and
 * `::` at the start (after white space), and caps the length.
 */
export function neutralise(text: string, maxChars = MAX_LOG_MESSAGE_CHARS): string {
  let line = text.replace(/\r\n|[\r\n\u2028\u2029\u0085]/g, ' ');
  line = line.replace(/##\[/g, `#${ZERO_WIDTH_SPACE}#[`);
  line = line.replace(/^(\s*)::/, `$1:${ZERO_WIDTH_SPACE}:`);
  if (line.length > maxChars)
    line = `${line.slice(0, maxChars)}… (${line.length - maxChars} more characters cut)`;
  return line;
}

/** Options for an annotation: its title is untrusted too. */
export interface AnnotationOptions {
  title?: string;
}

/** The only way the action writes to the log. Every message goes through `neutralise`. */
export interface Logger {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string, options?: AnnotationOptions): void;
  error(message: string, options?: AnnotationOptions): void;
  notice(message: string, options?: AnnotationOptions): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}
