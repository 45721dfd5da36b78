// Assertions for the browser suites (mocha globals, no node:assert in the page): each throws
// an Error naming what was checked, so a failing test says what differed.
import { UploadError } from '../../src/core/index.js';

/** Throws `message` unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Deep equality of JSON-able values (compared as their JSON text). */
export function equal<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** Identity (`===`), for values JSON cannot tell apart (NaN, undefined, distinct objects). */
export function strictEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** What `promise` rejects with; throws if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a value');
}

/** The UploadError `promise` rejects with; throws if it resolves or rejects with anything else. */
export async function uploadRejection(promise: Promise<unknown>): Promise<UploadError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UploadError) return error;
    throw new Error(`expected an UploadError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection, got a value');
}
