import { abortError } from './abort-error.js';

/**
 * Resolve or reject as `promise` does, or reject with an AbortError as soon as `signal`
 * aborts (the promise itself goes on; its outcome is then ignored).
 *
 * @example
 * const ticket = await untilAborted(renewing, signal);
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
