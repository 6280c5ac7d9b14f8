import * as core from '@actions/core';
import { neutralise, type AnnotationOptions, type Logger } from '../log.js';

/** What the logger writes through; `@actions/core` in the action, a recorder in tests. */
export interface LogSink {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string, properties?: core.AnnotationProperties): void;
  error(message: string, properties?: core.AnnotationProperties): void;
  notice(message: string, properties?: core.AnnotationProperties): void;
  startGroup(name: string): void;
  endGroup(): void;
}

function annotation(options: AnnotationOptions | undefined): core.AnnotationProperties | undefined {
  return options?.title === undefined ? undefined : { title: neutralise(options.title, 200) };
}

// Named functions rather than the `core` namespace itself: the bundler then sees which of
// @actions/core's exports are used and leaves out the rest (its OIDC client and its HTTP stack).
const coreSink: LogSink = {
  info: core.info,
  debug: core.debug,
  warning: core.warning,
  error: core.error,
  notice: core.notice,
  startGroup: core.startGroup,
  endGroup: core.endGroup,
};

/** A logger that neutralises workflow commands before anything reaches the sink. */
export function createLogger(sink: LogSink = coreSink): Logger {
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
