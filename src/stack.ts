import { existsSync, readFileSync } from 'node:fs';
import type { SourceMap, SourceMapPayload } from 'node:module';
import * as path from 'node:path';

// Node maps stack traces itself with --enable-source-maps, but it reads and parses every map when
// it loads a file: 35-75 ms of start-up on every run. Nor can the mapping happen whenever a stack
// is formatted (Error.prepareStackTrace): Node formats one each time undici closes an idle socket.
// The action prints a stack only when it crashes, so that is when the map is read.
const maps = new Map<string, SourceMap | null>();

function mapFor(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    map = null;
    try {
      if (existsSync(`${file}.map`)) {
        // Loaded here, not imported: node:module (and its source map parser) only for a crash.
        const { SourceMap: SourceMapClass } = process.getBuiltinModule('node:module');
        map = new SourceMapClass(
          JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMapPayload,
        );
      }
    } catch {
      // A damaged map: the stack keeps the bundle's positions rather than hiding the error.
    }
    maps.set(file, map);
  }
  return map;
}

/** A stack trace with each `file.js:line:column` that has a `file.js.map` replaced by its source's. */
export function mapStack(stack: string): string {
  return stack.replace(
    /(file:\/\/)?(\/[^\s():]*\.js|[A-Za-z]:\\[^\s():]*\.js):(\d+):(\d+)/g,
    (whole, scheme: string | undefined, file: string, line: string, column: string) => {
      const local = scheme ? new URL(`file://${file}`).pathname : file;
      const map = mapFor(local);
      const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
      if (!entry || !('originalSource' in entry)) return whole;
      const source = path.resolve(path.dirname(local), entry.originalSource);
      return `${source}:${String(entry.originalLine + 1)}:${String(entry.originalColumn + 1)}`;
    },
  );
}

/** Makes the stack trace of a crash point at the sources (dist/ → src/) when Node prints it. */
export function mapStackTraces(): void {
  // Runs before Node prints an uncaught exception (or an unhandled rejection, which it throws).
  process.on('uncaughtExceptionMonitor', (error) => {
    try {
      if (error instanceof Error && typeof error.stack === 'string') {
        error.stack = mapStack(error.stack);
      }
    } catch {
      // Never let the mapping hide the crash itself.
    }
  });
}
