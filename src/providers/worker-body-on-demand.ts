import { UploadError } from '../core/upload-error.js';
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
  let sender: Promise<BodySender> | undefined;
  return async (request, onProgress, signal) => {
    sender ??= import('./worker-body-sender.js').then(({ WorkerBodySender }) => new WorkerBodySender().send);
    let send: BodySender;
    try {
      send = await sender;
    } catch (error) {
      // A chunk that failed to load (offline, deploy in between) is tried again on the next part.
      sender = undefined;
      throw new UploadError({ code: 'network', kind: 'retry', message: 'Could not load the part sender' }, { cause: error });
    }
    return send(request, onProgress, signal);
  };
}
