/**
 * Feishu/Lark response codes the emulator can return, with the documented HTTP status and
 * message (cloud-apis.md §1.9; seeds 000–002 error tables; §1.10 token codes).
 * Codes whose HTTP status is not documented ("—" in §1.9) use 400, marked [infer] below.
 */
export const FEISHU_CODES = {
  1061001: { status: 200, msg: 'internal error.' },
  1061002: { status: 400, msg: 'params error.' },
  1061003: { status: 404, msg: 'not found.' },
  1061004: { status: 403, msg: 'forbidden.' },
  1061005: { status: 401, msg: 'auth failed.' },
  1061006: { status: 200, msg: 'internal time out.' },
  1061007: { status: 404, msg: 'file has been delete.' },
  1061008: { status: 400, msg: 'invalid file name.' },
  1061021: { status: 400, msg: 'upload id expire.' },
  1061022: { status: 500, msg: 'file version conflict.' },
  1061041: { status: 400, msg: 'parent node has been deleted.' },
  1061042: { status: 400, msg: 'parent node out of limit.' },
  1061043: { status: 400, msg: 'file size beyond limit.' },
  1061044: { status: 400, msg: 'parent node not exist.' },
  1061045: { status: 200, msg: 'can retry.' },
  1061061: { status: 400, msg: 'user quota exceeded.' },
  1061073: { status: 403, msg: 'no scope auth.' },
  1061101: { status: 400, msg: 'file quota exceeded.' },
  1062007: { status: 400, msg: 'upload user not match.' },
  1062008: { status: 400, msg: 'checksum param Invalid.' },
  1062009: { status: 400, msg: 'the actual size is inconsistent with the parameter declaration size.' },
  1062010: { status: 400, msg: 'block missing, please upload all blocks.' },
  1062011: { status: 400, msg: 'block num out of bounds.' },
  1062051: { status: 400, msg: 'client connect close.' },
  1062507: { status: 400, msg: 'parent node out of sibling num.' },
  1064230: { status: 200, msg: 'locked for data migration.' },
  // Gateway codes (§1.8, §1.9); 99991400 is 429 on current APIs.
  99991400: { status: 429, msg: 'request trigger frequency limit' },
  // [infer] status not documented; the gateway answers these with 400.
  99991661: { status: 400, msg: 'Missing access token for authorization. Please make a request with token attached.' },
  99991663: { status: 400, msg: 'Invalid access token for authorization. Please make a request with token attached.' },
  // tenant_access_token/internal (§1.10) [infer: status 400].
  10014: { status: 400, msg: 'app unauthorized' },
  10015: { status: 400, msg: 'app secret invalid' },
  99991543: { status: 400, msg: 'app_id or app_secret is wrong' },
} as const satisfies Record<number, { status: number; msg: string }>;

/** A code from {@link FEISHU_CODES}. */
export type FeishuCode = keyof typeof FEISHU_CODES;

/** The documented retryable code used for injected faults and internal errors (§1.9 class R). */
export const FEISHU_DEFAULT_FAULT_CODE: FeishuCode = 1061001;

/** HTTP status and message for any code; unknown codes (e.g. from a fault config) get 500. */
export function feishuCodeInfo(code: number): { status: number; msg: string } {
  const info = (FEISHU_CODES as Record<number, { status: number; msg: string } | undefined>)[code];
  return info ?? { status: 500, msg: 'emulator injected error.' };
}
