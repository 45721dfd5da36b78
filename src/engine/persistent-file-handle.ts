/** A permission state of the File System Access API. */
export type HandlePermission = 'granted' | 'denied' | 'prompt';

/**
 * A file reference that outlives the page: the File System Access API's
 * `FileSystemFileHandle` (from `showOpenFilePicker()` or a drop's
 * `DataTransferItem.getAsFileSystemHandle()`), which can be stored in IndexedDB. The engine
 * only needs these members, so it stays DOM-free; the permission methods exist in Chromium
 * and are absent where the browser grants access without asking (e.g. origin-private files).
 */
export interface PersistentFileHandle {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<File>;
  queryPermission?(descriptor: { mode: 'read' }): Promise<HandlePermission>;
  requestPermission?(descriptor: { mode: 'read' }): Promise<HandlePermission>;
}

/** True for anything shaped like a file handle (a FileSystemFileHandle or a test double). */
export function isPersistentFileHandle(value: unknown): value is PersistentFileHandle {
  if (typeof value !== 'object' || value === null) return false;
  const handle = value as Partial<PersistentFileHandle>;
  return handle.kind === 'file' && typeof handle.name === 'string' && typeof handle.getFile === 'function';
}

/**
 * The file behind a stored handle, or undefined when the user does not allow reading it.
 * With `ask`, permission is requested (a prompt at most once, and only inside a user
 * gesture, so call this straight from a click); without it, only the current state counts.
 */
export async function fileFromHandle(handle: PersistentFileHandle, ask: boolean): Promise<File | undefined> {
  const descriptor = { mode: 'read' } as const;
  let permission: HandlePermission = 'granted';
  if (ask && handle.requestPermission !== undefined) permission = await handle.requestPermission(descriptor);
  else if (handle.queryPermission !== undefined) permission = await handle.queryPermission(descriptor);
  if (permission !== 'granted') return undefined;
  return handle.getFile();
}
