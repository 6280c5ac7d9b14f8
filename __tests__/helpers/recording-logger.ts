import { createLogger, type Logger, type LogSink } from '../../src/log.js';

/** A real logger (neutralising included) writing into an array instead of stdout. */
export function recordingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink: LogSink = {
    info: (m) => lines.push(m),
    debug: (m) => lines.push(`debug: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    notice: (m) => lines.push(`notice: ${m}`),
    startGroup: (n) => lines.push(`group: ${n}`),
    endGroup: () => lines.push('endgroup'),
  };
  return { log: createLogger(sink), lines };
}
