import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import * as path from 'node:path';

// Node maps stack traces itself with --enable-source-maps, but it reads and parses every map when
// it loads a file: 35-75 ms of start-up on every run, for the rare run that prints a stack. Here
// a file's map is read only when a stack that passes through that file is formatted.
const maps = new Map<string, SourceMap | null>();

function mapFor(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    map = null;
    try {
      if (existsSync(`${file}.map`)) {
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMapPayload);
      }
    } catch {
      // A damaged map: the stack keeps the bundle's positions rather than hiding the error.
    }
    maps.set(file, map);
  }
  return map;
}

/** One frame as V8 prints it, with the bundle's position replaced by the source's when mapped. */
export function mappedFrame(frame: NodeJS.CallSite): string {
  // V8's CallSite formats itself as in a default stack; @types/node does not declare it.
  const text = (frame as NodeJS.CallSite & { toString(): string }).toString();
  const file = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (!file || line === null || column === null || !file.endsWith('.js')) return text;
  const localFile = file.startsWith('file://') ? new URL(file).pathname : file;
  const map = mapFor(localFile);
  if (!map) return text;
  const entry = map.findEntry(line - 1, column - 1);
  if (!('originalSource' in entry)) return text;
  const source = entry.originalSource.startsWith('file://')
    ? new URL(entry.originalSource).pathname
    : path.resolve(path.dirname(localFile), entry.originalSource);
  return text.replace(
    `${file}:${String(line)}:${String(column)}`,
    `${source}:${String(entry.originalLine + 1)}:${String(entry.originalColumn + 1)}`,
  );
}

/** Makes stack traces through a file that has a `.map` beside it point at the sources (dist/ → src/). */
export function mapStackTraces(): void {
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): string => {
    let head: string;
    try {
      head = String(error);
    } catch {
      head = 'Error';
    }
    return [head, ...frames.map((frame) => `    at ${mappedFrame(frame)}`)].join('\n');
  };
}
