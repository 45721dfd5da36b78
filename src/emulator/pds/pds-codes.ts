/**
 * PDS error codes the emulator answers with and their HTTP statuses (cloud-apis.md §2.3, §2.11).
 * Codes marked [infer] are the emulator's choice where the spec names none (§8 q3); a dotted
 * code (`InvalidParameter.Name`) falls back to the status of its prefix.
 */
export const PDS_CODE_STATUS: Readonly<Record<string, number>> = {
  InvalidParameter: 400,
  InvalidParameterMissing: 400,
  InvalidParameterEmpty: 400,
  InvalidParameterWrongFormat: 400,
  InvalidParameterOutOfRange: 400,
  InvalidParameterNotSupported: 400,
  InvalidRequestJSONFormat: 400,
  InvalidRapidProof: 400,
  // [infer] OSS's name for a too-small part at complete (§7 "EntityTooSmall").
  EntityTooSmall: 400,
  'NotFound.UploadId': 404,
  NotFound: 404,
  AccessTokenInvalid: 401,
  AccessTokenExpired: 401,
  ForbiddenNoPermission: 403,
  Forbidden: 403,
  PreHashMatched: 409,
  AlreadyExist: 409,
  // [infer] a second complete while one is running.
  OperationConflict: 409,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
};

/** The documented retryable code for injected faults and unexpected errors (§2.11 class R). */
export const PDS_DEFAULT_FAULT_CODE = 'InternalError';

/** HTTP status for a PDS code: exact, else its prefix before the first dot, else 500. */
export function pdsCodeStatus(code: string): number {
  return PDS_CODE_STATUS[code] ?? PDS_CODE_STATUS[code.split('.')[0] ?? ''] ?? 500;
}

/**
 * OSS (part PUT / object GET) error codes and statuses (cloud-apis.md §2.3, §2.5, §2.11, §7).
 * `PartAlreadyExist` is [infer]: the spec says only "409 when re-sending a completed part".
 */
export const OSS_CODE_STATUS: Readonly<Record<string, number>> = {
  AccessDenied: 403,
  SignatureDoesNotMatch: 403,
  InvalidAccessKeyId: 403,
  NoSuchUpload: 404,
  NoSuchKey: 404,
  InvalidArgument: 400,
  PartNotSequential: 400,
  EntityTooLarge: 400,
  InvalidRange: 416,
  PartAlreadyExist: 409,
  RequestTimeout: 400,
  InternalError: 500,
  ServiceUnavailable: 503,
};

/** The message OSS sends with an expired presigned URL (cloud-apis.md §2.3, §2.5). */
export const OSS_EXPIRED_MESSAGE = 'Request has expired.';
