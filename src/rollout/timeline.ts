/**
 * How the rollout timeline is measured for people, in the log and the job summary alike: whole
 * seconds since one origin (the update), and a status's length as the difference of its two
 * rounded offsets. Rounding each length on its own does not add up (`starting` at +7 s lasting
 * 2 s, then `running` at +8 s).
 */

/** Whole seconds from `originMs` to `atMs`, never negative (the read just before the update is +0 s). */
export function offsetSeconds(atMs: number, originMs: number): number {
  return Math.max(0, Math.round((atMs - originMs) / 1000));
}

/** Whole seconds as `0s`, `42s`, `3m 5s`, `1h 0m 5s`: every unit down to seconds, so sums can be checked. */
export function formatSeconds(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}
