/** Small statistics for benchmark repetitions: medians and rounding. */

/** The median of the finite numbers in `values`, or null when there are none. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const sorted = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** `value` rounded to `digits` significant decimals (keeps JSON and tables readable). */
export function round(value: number | null, digits = 2): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** `a / b`, or null when either is missing or `b` is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** MiB per second (MiB = 2^20 bytes) for `bytes` moved in `ms` milliseconds. */
export function mibPerSec(bytes: number, ms: number): number | null {
  return ms > 0 ? bytes / 2 ** 20 / (ms / 1000) : null;
}
