/**
 * COS legacy (files/v2) response codes the emulator can return, with the documented HTTP
 * status and a message (cloud-apis.md §3.9, doc 8432 + seed 004). `-29094` has no documented
 * status; 400 is our choice [infer].
 */
export const COS_LEGACY_CODES = {
  [-47]: { status: 403, message: 'SecretId in the signature does not exist' },
  [-48]: { status: 403, message: 'signature is malformed (computed wrongly)' },
  [-59]: { status: 403, message: 'signature expired' },
  [-61]: { status: 403, message: 'bucket in the signature differs from the bucket accessed' },
  [-63]: { status: 403, message: 'fileid in the signature differs from the path accessed' },
  [-70]: { status: 403, message: 'appid in the signature differs from the appid accessed' },
  [-71]: { status: 503, message: 'too many requests' },
  [-97]: { status: 403, message: 'signature mismatch' },
  [-121]: { status: 403, message: 'CORS rule match failed' },
  [-133]: { status: 404, message: 'bucket does not exist' },
  [-175]: { status: 400, message: 'filesize differs from the size given at init' },
  [-177]: { status: 409, message: 'file already exists' },
  [-178]: { status: 409, message: 'directory already exists' },
  [-195]: { status: 500, message: 'backend storage error' },
  [-196]: { status: 503, message: 'service temporarily unavailable' },
  [-197]: { status: 404, message: 'file not found' },
  [-199]: { status: 400, message: 'invalid bucket name' },
  [-284]: { status: 400, message: 'wrong slice_size, use 1048576' },
  [-4016]: { status: 409, message: 'sha verification failed' },
  [-4019]: { status: 409, message: 'an unfinished upload with the same sha exists; resume it with upload_slice_list' },
  [-4020]: { status: 409, message: 'an unfinished upload with a different sha exists' },
  [-5965]: { status: 400, message: 'uploadparts is not valid JSON' },
  [-5997]: { status: 503, message: 'backend network error' },
  [-5999]: { status: 400, message: 'parameter error' },
  [-29094]: { status: 400, message: 'sha is required at finish because init carried it' },
} as const satisfies Record<number, { status: number; message: string }>;

/** A code from {@link COS_LEGACY_CODES}. */
export type CosLegacyCode = keyof typeof COS_LEGACY_CODES;

/** The documented retryable code used for injected faults without an `errorCode` (§3.9 class R). */
export const COS_LEGACY_DEFAULT_FAULT_CODE: CosLegacyCode = -196;

/** Code answered for an unexpected exception inside the emulator (§3.9 "backend storage error"). */
export const COS_LEGACY_INTERNAL_ERROR_CODE: CosLegacyCode = -195;

/** HTTP status and message for any code; unknown codes (e.g. from a fault config) get 500. */
export function cosLegacyCodeInfo(code: number): { status: number; message: string } {
  const info = (COS_LEGACY_CODES as Record<number, { status: number; message: string } | undefined>)[code];
  return info ?? { status: 500, message: 'emulator injected error' };
}
