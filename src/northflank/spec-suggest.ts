/**
 * "Did you mean": the known spec path closest to an unknown key, by vLLM's own name for it, by
 * the same name in another case or style, or by a small typo; anywhere in the spec, since a key
 * is as often in the wrong object as misspelt. Pure.
 */
import { editDistance } from '../closest.js';
import { specLeaves, specObjectPaths } from './spec-leaves.js';
import { normaliseKey, pathForVllmName } from './vllm-names.js';

/** A known path suggested for an unknown key, and why. */
export interface Suggestion {
  /** Full dotted path from the spec's root. */
  path: string;
  /** The vLLM flag the key is vLLM's name for, when that is how it matched. */
  vllmFlag?: string;
}

const lastSegment = (path: string): string => path.slice(path.lastIndexOf('.') + 1);

/** How many edits still count as a typo of a name this long. */
const typoBudget = (length: number): number => (length <= 4 ? 0 : length <= 8 ? 1 : 2);

/**
 * The known path an unknown `key` found in the object at `parent` (dotted, '' for the spec's
 * root) most likely means; undefined when nothing is close.
 */
export function suggestSpecPath(parent: string, key: string): Suggestion | undefined {
  const wanted = normaliseKey(key);
  if (wanted === '') return undefined;
  const known = [...specLeaves().map((leaf) => leaf.path), ...specObjectPaths().filter(Boolean)];
  const distances = known.map((path) => editDistance(wanted, normaliseKey(lastSegment(path))));
  // The spec's own name in another case or style beats vLLM's name, which beats a typo.
  const vllm = distances.includes(0) ? undefined : pathForVllmName(key);
  if (vllm) return { path: vllm.path, vllmFlag: vllm.flag };
  let best: { path: string; score: number } | undefined;
  for (const [i, path] of known.entries()) {
    const distance = distances[i] ?? Infinity;
    if (distance > typoBudget(wanted.length)) continue;
    // Among equally close names, the one in the object the key was found in comes first.
    const sameParent =
      path.slice(0, path.lastIndexOf('.') + 1 || 0) === (parent ? `${parent}.` : '');
    const score = distance * 2 + (sameParent ? 0 : 1);
    if (!best || score < best.score) best = { path, score };
  }
  return best ? { path: best.path } : undefined;
}

/** The "did you mean" text for an unknown key, or '' when nothing is close. */
export function didYouMean(parent: string, key: string): string {
  const suggestion = suggestSpecPath(parent, key);
  if (!suggestion) return '';
  const why = suggestion.vllmFlag ? ` (vLLM's ${suggestion.vllmFlag})` : '';
  return `did you mean ${suggestion.path}${why}?`;
}

/** Dotted spec paths, each followed by its "did you mean" when a known path is close. */
export function withSuggestions(paths: readonly string[]): string {
  return paths
    .map((path) => {
      const cut = path.lastIndexOf('.');
      const guess = didYouMean(cut < 0 ? '' : path.slice(0, cut), path.slice(cut + 1));
      return guess ? `${path} (${guess})` : path;
    })
    .join(', ');
}
