/** `on`/`off` (also true/false, 1/0, yes/no) from an environment variable; anything else is a startup error. */
export function onOff(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new Error(`${name} must be on/off`);
}

/** A positive integer from an environment variable; anything else is a startup error. */
export function positiveInteger(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}
