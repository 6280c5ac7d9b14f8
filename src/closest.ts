/** "Did you mean": the known names closest to an unknown one, by a small typo. Pure. */

/** Levenshtein distance, for short names. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

// Case, `_` and spaces aside: `Spec_File` is spec-file written another way, not a typo of it.
const normalise = (name: string): string => name.toLowerCase().replace(/[_\s]+/g, '-');

/**
 * The known names `given` most likely means: the same name written another way, else those a
 * typo away (more edits allowed for longer names), else those it is the start of (`itl` for
 * `itl-p50`); ties all, in `known`'s order. Empty when nothing is close.
 */
export function closestNames(given: string, known: readonly string[]): string[] {
  const wanted = normalise(given);
  if (wanted === '') return [];
  const distances = known.map((name) => editDistance(wanted, normalise(name)));
  const best = Math.min(...distances);
  const budget = wanted.length <= 3 ? 0 : wanted.length <= 8 ? 1 : 2;
  if (best <= budget) return known.filter((_, i) => distances[i] === best);
  return known.filter((name) => normalise(name).startsWith(`${wanted}-`));
}

/** ` (did you mean a or b?)`, or '' when nothing is close. */
export function didYouMeanName(given: string, known: readonly string[]): string {
  const names = closestNames(given, known);
  if (names.length === 0) return '';
  const list =
    names.length === 1
      ? (names[0] ?? '')
      : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1] ?? ''}`;
  return ` (did you mean ${list}?)`;
}
