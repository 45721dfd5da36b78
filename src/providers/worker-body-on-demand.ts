import { loadOnce } from '../core/load-once.js';
import type { BodySender } from './send-body.js';

/**
 * The element's default {@link BodySender}: a {@link WorkerBodySender} whose module loads with
 * the first part, so a page that never uploads does not download it (issue 7 item 9), and
 * whose worker then sends every part (issue 7, design C). One per element, shared by the
 * provider clients it creates.
 *
 * @example
 * const provider = createProviderClient('s3', { endpoint: '/upload', sendBody: workerBodyOnDemand() });
 */
export function workerBodyOnDemand(): BodySender {
  // A chunk that failed to load (offline, deploy in between) is tried again on the next part.
  const sender = loadOnce(async () => new (await import('./worker-body-sender.js')).WorkerBodySender().send, 'Could not load the part sender');
  return async (request, onProgress, signal) => (await sender.get())(request, onProgress, signal);
}
