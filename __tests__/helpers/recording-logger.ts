import type { AnnotationProperties } from '../../src/runner/protocol.js';
import type { Logger } from '../../src/log.js';
import { createLogger } from '../../src/runner/logger.js';
import { type LogSink } from '../../src/runner/protocol.js';

const title = (p: AnnotationProperties | undefined): string => (p?.title ? `[${p.title}] ` : '');

/** A sink that writes each call into `lines`: `warning: [title] message`, `group: name`, … */
export function recordingSink(lines: string[]): LogSink {
  return {
    info: (m) => lines.push(m),
    debug: (m) => lines.push(`debug: ${m}`),
    warning: (m, p) => lines.push(`warning: ${title(p)}${m}`),
    error: (m, p) => lines.push(`error: ${title(p)}${m}`),
    notice: (m, p) => lines.push(`notice: ${title(p)}${m}`),
    startGroup: (n) => lines.push(`group: ${n}`),
    endGroup: () => lines.push('endgroup'),
  };
}

/** A real logger (neutralising included) writing into an array instead of stdout. */
export function recordingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger(recordingSink(lines)), lines };
}
