/**
 * Checks a config value is a positive safe integer and returns it; throws RangeError naming
 * the option (`name`, e.g. `pds.urlTtlSec`) otherwise.
 */
export function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
