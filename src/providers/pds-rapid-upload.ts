import { abortError } from '../core/abort-error.js';
import { UploadError } from '../core/index.js';
import type { CreateSessionRequest, CreateSessionResponse, SessionContext } from '../core/index.js';

/** `pre_hash` is the SHA-1 of the first 1024 bytes, or of the whole file when shorter (cloud-apis.md §2.9 item 2). */
export const PDS_PRE_HASH_BYTES = 1024;
/** The v1 proof is at most 8 bytes of the file (cloud-apis.md §2.9 item 3). */
export const PDS_PROOF_MAX_BYTES = 8;
/**
 * Proof rounds before rapid upload is given up: the first, and at most two more when the
 * backend's token changed meanwhile (docs/protocol.md §PDS "Rapid upload" step 3).
 */
export const PDS_MAX_PROOF_ROUNDS = 3;

/** What the backend asks for next (`providerData.rapidUpload`). */
type RapidNeed = { need: 'sha1' } | { need: 'proof'; offset: number; length: number };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function badStep(what: string): UploadError {
  return new UploadError({ code: 'bad-response', kind: 'retry', message: `The upload backend sent an unusable rapid-upload step (${what})` });
}

/** The step a create answer asks for, undefined when it is a session or a result. */
function rapidNeed(response: CreateSessionResponse, size: number): RapidNeed | undefined {
  const step = response.providerData?.['rapidUpload'];
  if (step === undefined) return undefined;
  if (!isRecord(step)) throw badStep('not an object');
  if (step['need'] === 'sha1') return { need: 'sha1' };
  const { offset, length } = step;
  if (step['need'] !== 'proof' || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) throw badStep('unknown need');
  const start = offset as number;
  const count = length as number;
  if (start < 0 || count < 1 || count > PDS_PROOF_MAX_BYTES || start + count > size) throw badStep(`proof range ${start}+${count} of ${size} bytes`);
  return { need: 'proof', offset: start, length: count };
}

/** Standard base64 with padding, of a few bytes. */
function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The whole file's SHA-1 from the hash pool. In parallel mode the hash stops at every part
 * start on the way (the pool remembers each state), so if PDS does not take the proof the
 * parts' SHA-1 contexts are already known and no byte is read twice.
 */
async function wholeFileSha1(context: SessionContext, response: CreateSessionResponse, size: number, signal: AbortSignal): Promise<string> {
  const { partSize, partCount } = response.plan;
  if (response.partChecksum === 'sha1-ctx' && Number.isSafeInteger(partSize) && partSize > 0 && partSize % 64 === 0) {
    for (let index = 1; index < partCount && index * partSize < size; index += 1) {
      await context.hash.partChecksum('sha1-ctx', index * partSize, Math.min(size, (index + 1) * partSize), signal);
    }
  }
  return context.hash.sha1Digest(signal);
}

/**
 * Open a PDS session through the rapid-upload exchange (docs/protocol.md §PDS "Rapid
 * upload"; cloud-apis.md §2.4, §2.9): every create carries `hashes.preHash` (1 KiB, cheap);
 * only when PDS holds a file of this size with this first KiB does the backend ask for the
 * whole file's SHA-1, then for the v1 proof bytes it names. The answer is a result (PDS had
 * the content: nothing to send) or a normal session. Hashing runs in the pool via `context`;
 * only the few proof bytes are read here. Without a context (or for an empty file, which
 * has no proof) the request goes out as it is.
 *
 * @param create sends one `POST v1/sessions`.
 * @example
 * const response = await pdsRapidUpload(request, context, (body) => api.createSession(body, signal), signal);
 */
export async function pdsRapidUpload(
  request: CreateSessionRequest,
  context: SessionContext | undefined,
  create: (request: CreateSessionRequest) => Promise<CreateSessionResponse>,
  signal: AbortSignal,
): Promise<CreateSessionResponse> {
  if (context === undefined || request.size === 0) return create(request);
  const hashes: NonNullable<CreateSessionRequest['hashes']> = { ...request.hashes };
  hashes.preHash = await context.hash.partChecksum('sha1', 0, Math.min(PDS_PRE_HASH_BYTES, request.size), signal);
  let response = await create({ ...request, hashes });
  for (let proofRounds = 0; ;) {
    const need = rapidNeed(response, request.size);
    if (need === undefined) return response;
    if (need.need === 'sha1' && hashes.sha1 !== undefined) throw badStep('asked for the SHA-1 twice');
    hashes.sha1 ??= await wholeFileSha1(context, response, request.size, signal);
    if (need.need === 'proof') {
      if (proofRounds === PDS_MAX_PROOF_ROUNDS) {
        // The backend's token keeps changing: upload the bytes instead (a create without hashes is a plain session).
        const { hashes: _dropped, ...plain } = request;
        return create(plain);
      }
      proofRounds += 1;
      const bytes = new Uint8Array(await context.file.slice(need.offset, need.offset + need.length).arrayBuffer());
      if (signal.aborted) throw abortError(signal);
      if (bytes.length !== need.length) throw new UploadError({ code: 'unknown', kind: 'fatal', message: 'The file changed while it was being uploaded' });
      hashes.proofOffset = String(need.offset);
      hashes.proofBytes = base64(bytes);
    }
    response = await create({ ...request, hashes });
  }
}
