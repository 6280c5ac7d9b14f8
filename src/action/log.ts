import { runnerLog, type AnnotationProperties } from './runner.js';

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

/** What the logger writes through; the runner's log (runner.ts) in the action, a recorder in tests. */
export interface LogSink {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string, properties?: AnnotationProperties): void;
  error(message: string, properties?: AnnotationProperties): void;
  notice(message: string, properties?: AnnotationProperties): void;
  startGroup(name: string): void;
  endGroup(): void;
}

function annotation(options: AnnotationOptions | undefined): AnnotationProperties | undefined {
  return options?.title === undefined ? undefined : { title: neutralise(options.title, 200) };
}

/** A logger that neutralises workflow commands before anything reaches the sink. */
export function createLogger(sink: LogSink = runnerLog()): Logger {
  return {
    info: (message) => {
      sink.info(neutralise(message));
    },
    debug: (message) => {
      sink.debug(neutralise(message));
    },
    warning: (message, options) => {
      sink.warning(neutralise(message), annotation(options));
    },
    error: (message, options) => {
      sink.error(neutralise(message), annotation(options));
    },
    notice: (message, options) => {
      sink.notice(neutralise(message), annotation(options));
    },
    group: async (name, fn) => {
      sink.startGroup(neutralise(name, 200));
      try {
        return await fn();
      } finally {
        sink.endGroup();
      }
    },
  };
}
