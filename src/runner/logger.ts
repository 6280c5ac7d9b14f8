import { neutralise, type AnnotationOptions, type Logger } from '../log.js';
import { runnerLog, type AnnotationProperties, type LogSink } from './protocol.js';

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
