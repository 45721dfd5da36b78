import { randomBytes, sign } from 'node:crypto';

/** Lifetime of a JWT assertion (s): "exp = now + ~60 s" (cloud-apis.md §2.2). */
export const PDS_JWT_ASSERTION_TTL_SEC = 60;

/** Who the backend signs in as with a PDS JWT app (cloud-apis.md §2.2). */
export interface PdsJwtApp {
  /** The JWT app's client_id (`iss`); env PDS_CLIENT_ID. */
  clientId: string;
  /** PEM (PKCS#8 or PKCS#1) RSA private key whose public half is registered with the app; env PDS_PRIVATE_KEY. */
  privateKey: string;
  /** user_id (`sub_type: user`) or domain_id (`service`); env PDS_SUBJECT. */
  subject: string;
  /** Default `user`; env PDS_SUBJECT_TYPE. */
  subjectType?: 'user' | 'service';
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * An RS256 JWT assertion for the jwt-bearer grant: claims `iss` = client_id, `sub`, `sub_type`,
 * `aud` = domain_id, a random `jti` (32 hex characters, within 16..128), `iat`, `exp` = now + 60 s
 * (cloud-apis.md §2.2 step 2). Signed with node:crypto.
 *
 * @example
 * const jwt = pdsJwtAssertion({ clientId, privateKey, subject: 'user-1' }, 'bj1', Date.now());
 */
export function pdsJwtAssertion(app: PdsJwtApp, domainId: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const claims = {
    iss: app.clientId,
    sub: app.subject,
    sub_type: app.subjectType ?? 'user',
    aud: domainId,
    jti: randomBytes(16).toString('hex'),
    iat,
    exp: iat + PDS_JWT_ASSERTION_TTL_SEC,
  };
  const head = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${head}.${sign('RSA-SHA256', Buffer.from(head, 'utf8'), app.privateKey).toString('base64url')}`;
}
