/**
 * The AbortError an aborted wait or request ends with (an abort is never reported as an
 * error). The signal's own reason when it is an AbortError, so the caller's abort travels
 * through unchanged; otherwise a fresh one.
 *
 * @example
 * if (signal.aborted) throw abortError(signal);
 */
export function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('The operation was aborted', 'AbortError');
}
