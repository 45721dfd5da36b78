/**
 * Whether the network is up, and a way to hear when it comes back. The engine reads the
 * browser's `navigator.onLine` and `online` event through this, so Node tests can inject one.
 */
export interface Connectivity {
  /** False only when the platform is sure it is offline (navigator.onLine === false). */
  readonly online: boolean;
  /** Call `listener` when the network comes back; returns an unsubscribe function. */
  onOnline(listener: () => void): () => void;
  /**
   * Call `listener` when the network goes away (the browser's `offline` event), so uploads
   * pause at once instead of waiting for requests to fail or stall. Optional: without it the
   * engine notices on the next failure.
   */
  onOffline?(listener: () => void): () => void;
}

interface OnlineGlobal {
  navigator?: { onLine?: boolean };
  addEventListener?: (type: 'online' | 'offline', listener: () => void) => void;
  removeEventListener?: (type: 'online' | 'offline', listener: () => void) => void;
}

/** Connectivity of the current global (a window or a worker); always online where there is no navigator. */
export function globalConnectivity(): Connectivity {
  const scope = globalThis as OnlineGlobal;
  return {
    get online(): boolean {
      return scope.navigator?.onLine !== false;
    },
    onOnline(listener: () => void): () => void {
      if (typeof scope.addEventListener !== 'function') return () => {};
      scope.addEventListener('online', listener);
      return () => scope.removeEventListener?.('online', listener);
    },
    onOffline(listener: () => void): () => void {
      if (typeof scope.addEventListener !== 'function') return () => {};
      scope.addEventListener('offline', listener);
      return () => scope.removeEventListener?.('offline', listener);
    },
  };
}
