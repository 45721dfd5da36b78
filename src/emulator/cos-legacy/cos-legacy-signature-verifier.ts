import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CosLegacyCode } from './cos-legacy-codes.js';

/** HMAC-SHA1 output length: the first 20 bytes of a decoded signature (cloud-apis.md §3.2). */
const HMAC_BYTES = 20;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DECIMAL = /^\d{1,20}$/;

/** The fields of a decoded signature (§3.2 table). */
export interface CosLegacySignatureFields {
  /** AppID. */
  a: string;
  /** Bucket. */
  b: string;
  /** SecretId. */
  k: string;
  /** Expiry (Unix s); 0 = single-effect. */
  e: number;
  /** Signing time (Unix s). */
  t: number;
  r: string;
  /** fileid, URL-decoded; '' when not bound. */
  f: string;
}

/** What the request accessed, to compare the signature with. */
export interface CosLegacyAccess {
  appId: string;
  bucket: string;
  /** Decoded resource path `/{appid}/{bucket}/{path}`. */
  resource: string;
}

/** Verifier settings, read on every call (they may change at run time). */
export interface CosLegacySignatureRules {
  secretId: string;
  secretKey: string;
  maxLifetimeSec: number;
  singleEffectWindowSec: number;
}

/** The verdict on one signature. */
export type CosLegacySignatureVerdict =
  | { ok: true; fields: CosLegacySignatureFields; singleEffect: boolean }
  | { ok: false; code: CosLegacyCode; detail: string };

/** Decodes `Base64(HMAC(20) ‖ plain)` and parses `k=v&…` in any order; undefined when malformed. */
export function decodeCosLegacySignature(sign: string): { mac: Buffer; plain: Buffer; fields: CosLegacySignatureFields } | undefined {
  if (!BASE64.test(sign) || sign.length % 4 !== 0) return undefined;
  const raw = Buffer.from(sign, 'base64');
  if (raw.length <= HMAC_BYTES) return undefined;
  const mac = raw.subarray(0, HMAC_BYTES);
  const plain = raw.subarray(HMAC_BYTES);
  const pairs = new Map<string, string>();
  for (const pair of plain.toString('latin1').split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    const key = pair.slice(0, eq);
    if (pairs.has(key)) return undefined;
    pairs.set(key, pair.slice(eq + 1));
  }
  const get = (key: string): string | undefined => pairs.get(key);
  const [a, b, k, e, t, r] = ['a', 'b', 'k', 'e', 't', 'r'].map(get);
  if (a === undefined || b === undefined || k === undefined || e === undefined || t === undefined || r === undefined) return undefined;
  if (!DECIMAL.test(e) || !DECIMAL.test(t) || !/^\d{1,10}$/.test(r)) return undefined;
  let f: string;
  try {
    f = decodeURIComponent(get('f') ?? '');
  } catch {
    return undefined;
  }
  return { mac, plain, fields: { a, b, k, e: Number(e), t: Number(t), r, f } };
}

/**
 * Verifies COS v4 multi-effect and single-effect signatures (cloud-apis.md §3.2, §7):
 * base64 → HMAC(20) ‖ plain; HMAC-SHA1(SecretKey, plain as received); fields in any order.
 * Checks, in order: malformed `-48`, unknown SecretId `-47`, wrong HMAC `-97`, appid `-70`,
 * bucket `-61`, fileid `-63`, expiry `-59` (a multi-effect lifetime over the limit is `-48`
 * [infer]), single-effect replay `-97` [infer, §7].
 *
 * fileid: multi-effect may leave `f` empty (not bound), name the file exactly, or name a
 * prefix that ends in `/` or `*` ("prefix match allowed", §3.2; the two spellings are our
 * reading). Single-effect signatures must name the file exactly and work once.
 */
export class CosLegacySignatureVerifier {
  readonly #rules: () => CosLegacySignatureRules;
  /** Used single-effect signatures → their `t`, pruned past the window. */
  readonly #used = new Map<string, number>();

  /** @param rules current secret and limits; read on every call */
  constructor(rules: () => CosLegacySignatureRules) {
    this.#rules = rules;
  }

  /** Verifies `sign` for `access` at `nowSec` (emulator clock); records a single-effect use. */
  verify(sign: string, access: CosLegacyAccess, nowSec: number): CosLegacySignatureVerdict {
    const rules = this.#rules();
    const decoded = decodeCosLegacySignature(sign);
    if (!decoded) return { ok: false, code: -48, detail: 'signature is not Base64(HMAC-SHA1 ‖ a=…&b=…&k=…&e=…&t=…&r=…&f=…)' };
    const { mac, plain, fields } = decoded;
    if (fields.k !== rules.secretId) return { ok: false, code: -47, detail: 'unknown SecretId' };
    const expected = createHmac('sha1', rules.secretKey).update(plain).digest();
    if (!timingSafeEqual(expected, mac)) return { ok: false, code: -97, detail: 'HMAC-SHA1 of the signed text does not match' };
    if (fields.a !== access.appId) return { ok: false, code: -70, detail: `signature is for appid ${fields.a}` };
    if (fields.b !== access.bucket) return { ok: false, code: -61, detail: `signature is for bucket ${fields.b}` };
    const singleEffect = fields.e === 0;
    if (!fileIdMatches(fields.f, access.resource, singleEffect)) {
      return { ok: false, code: -63, detail: singleEffect ? 'a single-effect signature must name the file in f' : 'f does not match the path accessed' };
    }
    if (singleEffect) {
      this.#prune(nowSec, rules.singleEffectWindowSec);
      if (nowSec - fields.t > rules.singleEffectWindowSec) return { ok: false, code: -59, detail: 'single-effect signature is too old' };
      if (this.#used.has(sign)) return { ok: false, code: -97, detail: 'single-effect signature was already used' };
      this.#used.set(sign, fields.t);
    } else {
      if (fields.e <= nowSec) return { ok: false, code: -59, detail: 'signature expired' };
      if (fields.e - Math.max(fields.t, nowSec) > rules.maxLifetimeSec) return { ok: false, code: -48, detail: 'signature lifetime is longer than allowed' };
    }
    return { ok: true, fields, singleEffect };
  }

  /** Forgets used single-effect signatures (tests). */
  reset(): void {
    this.#used.clear();
  }

  #prune(nowSec: number, windowSec: number): void {
    for (const [sign, t] of this.#used) if (nowSec - t > windowSec) this.#used.delete(sign);
  }
}

function fileIdMatches(f: string, resource: string, singleEffect: boolean): boolean {
  if (f === resource) return true;
  if (singleEffect) return false;
  if (f === '') return true;
  if (f.endsWith('/')) return resource.startsWith(f);
  if (f.endsWith('*')) return resource.startsWith(f.slice(0, -1));
  return false;
}
