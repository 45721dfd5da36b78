import type { UploadSnapshot, UploadStatus } from '../../src/core/index.js';
import type { UploadEngine } from '../../src/engine/index.js';

/**
 * The engine's upload `id` (undefined: its first upload) once it reaches one of `statuses`;
 * rejects with its status and history after `timeoutMs`.
 */
export function waitForUpload(engine: UploadEngine, id: string | undefined, statuses: UploadStatus[], timeoutMs = 20_000): Promise<UploadSnapshot> {
  const find = (): UploadSnapshot | undefined => (id === undefined ? engine.uploads[0] : engine.uploads.find((u) => u.id === id));
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const upload = find();
      if (upload === undefined || !statuses.includes(upload.status)) return false;
      clearTimeout(timer);
      engine.removeEventListener('change', check);
      resolve(upload);
      return true;
    };
    const timer = setTimeout(() => {
      engine.removeEventListener('change', check);
      const upload = find();
      reject(new Error(`upload is ${upload?.status ?? 'missing'}, not ${statuses.join('/')}: ${JSON.stringify(upload?.history)}`));
    }, timeoutMs);
    if (!check()) engine.addEventListener('change', check);
  });
}
