import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

let localeLoaded = false;

/**
 * Memoises a schema's construction: building every schema at import cost start-up time that a
 * run which never reads a given shape should not pay. The first schema built also loads zod's
 * English messages (zod/mini ships without any, unlike `zod`).
 */
export function once<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    if (!localeLoaded) {
      z.config(en());
      localeLoaded = true;
    }
    return (built ??= build());
  };
}
