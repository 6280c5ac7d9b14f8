import type { Logger } from '../log.js';
import type { OutputSink, SummarySink } from './deps.js';

/** What a secret is replaced with; the runner's own mask looks the same. */
export const REDACTED = '***';

/**
 * The secrets of a run, and the one place that takes them out of text. Every text the action
 * writes (log, annotations, outputs, summary, the GitHub deployment) passes through `redact`,
 * so an API error that echoes the token is not printed even where the runner's masking is absent.
 */
export class Redactor {
  private forms: string[] = [];

  /** Adds a secret; its URL- and JSON-encoded forms are redacted too. */
  add(secret: string): void {
    // A one- or two-character "secret" would blank out ordinary text; the runner masks it anyway.
    if (secret.length < 3) return;
    const forms = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
    this.forms = [...new Set([...this.forms, ...forms])].sort((a, b) => b.length - a.length);
  }

  /** `text` with every known secret replaced by `***`. */
  redact(text: string): string {
    let result = text;
    for (const form of this.forms) result = result.split(form).join(REDACTED);
    return result;
  }

  /** A logger that redacts before `log` sees anything. */
  logger(log: Logger): Logger {
    const r = (text: string): string => this.redact(text);
    const title = (options?: { title?: string }): { title?: string } | undefined =>
      options?.title === undefined ? options : { ...options, title: r(options.title) };
    return {
      info: (message) => {
        log.info(r(message));
      },
      debug: (message) => {
        log.debug(r(message));
      },
      warning: (message, options) => {
        log.warning(r(message), title(options));
      },
      error: (message, options) => {
        log.error(r(message), title(options));
      },
      notice: (message, options) => {
        log.notice(r(message), title(options));
      },
      group: (name, fn) => log.group(r(name), fn),
    };
  }

  /** Outputs, redacted. */
  outputs(sink: OutputSink): OutputSink {
    return {
      setOutput: (name, value) => {
        sink.setOutput(name, this.redact(value));
      },
    };
  }

  /** The job summary, redacted. */
  summary(sink: SummarySink): SummarySink {
    return { write: (markdown) => sink.write(this.redact(markdown)) };
  }
}
