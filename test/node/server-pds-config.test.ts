// PDS backend pieces without a network: the part plan, the error table and the environment.
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { pdsPartPlan, pdsServerConfigFromEnv, serverOptionsFromEnv } from '../../src/server/index.js';
import { pdsError } from '../../src/server/providers/pds-error-table.js';
import { pdsJwtAssertion } from '../../src/server/providers/pds-jwt-assertion.js';

const KiB = 1024;
const MiB = 1024 * KiB;

void describe('pdsPartPlan', () => {
  void it('keeps a preferred size that is a multiple of 64 and covers the file', () => {
    assert.deepEqual(pdsPartPlan(25 * MiB, 10 * MiB, 100 * KiB), { partSize: 10 * MiB, partCount: 3 });
  });

  void it('raises the size to the OSS minimum and rounds it up to 64 bytes', () => {
    assert.deepEqual(pdsPartPlan(MiB, 1000, 100 * KiB), { partSize: 100 * KiB, partCount: 11 });
    assert.deepEqual(pdsPartPlan(10_000, 1000, 1000), { partSize: 1024, partCount: 10 });
  });

  void it('grows the part size until the file fits in 10 000 parts', () => {
    const size = 200 * 1024 * MiB;
    const plan = pdsPartPlan(size, 10 * MiB, 100 * KiB);
    assert.ok(plan.partCount <= 10_000);
    assert.equal(plan.partSize % 64, 0);
    assert.equal(plan.partCount, Math.ceil(size / plan.partSize));
  });

  void it('plans one empty part for an empty file', () => {
    assert.deepEqual(pdsPartPlan(0, 10 * MiB, 100 * KiB), { partSize: 10 * MiB, partCount: 1 });
  });
});

void describe('pdsError', () => {
  const headers = new Headers();

  void it('classifies exact codes, falls back to the prefix of dotted codes, and never echoes provider text', () => {
    assert.deepEqual(pdsError('NotFound.UploadId', 404, headers).data, {
      code: 'session-expired', kind: 'session-expired', status: 410, providerCode: 'NotFound.UploadId',
      message: 'The upload expired at the provider (parts are kept 10 days); start a new upload session (PDS NotFound.UploadId)',
    });
    const dotted = pdsError('InvalidParameter.Whatever', 400, headers);
    assert.deepEqual([dotted.status, dotted.data.code, dotted.data.kind], [400, 'bad-request', 'fatal']);
    const missing = pdsError('NotFound.File', 404, headers);
    assert.deepEqual([missing.status, missing.data.code], [404, 'not-found']);
  });

  void it('gives rate limits a wait from Retry-After or 1 s, and maps unknown codes by HTTP status', () => {
    assert.equal(pdsError('TooManyRequests', 429, new Headers({ 'retry-after': '3' })).data.retryAfterMs, 3000);
    assert.equal(pdsError('TooManyRequests', 429, headers).data.retryAfterMs, 1000);
    assert.deepEqual([pdsError('Weird', 503, headers).data.kind, pdsError('Weird', 400, headers).data.kind], ['retry', 'fatal']);
    assert.equal(pdsError('Payload Too Large', 413, headers).data.code, 'file-too-large');
  });
});

void describe('pdsServerConfigFromEnv', () => {
  void it('defaults to the emulator with its fixed token', () => {
    assert.deepEqual(pdsServerConfigFromEnv({}, 'http://127.0.0.1:8787'), {
      baseUrl: 'http://127.0.0.1:8787', domainId: 'emulator', driveId: '1', accessToken: 'pds-emulator-access-token',
    });
    assert.equal(serverOptionsFromEnv({ EMULATOR_PORT: '9100' }).providers.pds?.baseUrl, 'http://127.0.0.1:9100');
  });

  void it('reads a JWT app (PEM with \\n escapes) instead of a token, and the tuning knobs', () => {
    const config = pdsServerConfigFromEnv({
      PDS_BASE_URL: 'https://bj1.api.aliyunpds.com', PDS_DOMAIN_ID: 'bj1', PDS_DRIVE_ID: '42', PDS_ACCESS_TOKEN: 'ignored',
      PDS_CLIENT_ID: 'app', PDS_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----', PDS_SUBJECT: 'u1', PDS_SUBJECT_TYPE: 'service',
      PDS_PART_SIZE: '5242880', PDS_PARALLEL: 'off', PDS_RAPID_UPLOAD_MIN_SIZE: '1', PDS_CHECK_NAME_MODE: 'refuse',
    }, 'http://x');
    assert.equal(config.accessToken, undefined);
    assert.deepEqual(config.jwt, { clientId: 'app', privateKey: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----', subject: 'u1', subjectType: 'service' });
    assert.deepEqual([config.baseUrl, config.domainId, config.driveId], ['https://bj1.api.aliyunpds.com', 'bj1', '42']);
    assert.deepEqual([config.partSize, config.parallel, config.rapidUploadMinSize, config.checkNameMode], [5242880, false, 1, 'refuse']);
  });

  void it('refuses an incomplete JWT app and malformed values without quoting secrets', () => {
    assert.throws(() => pdsServerConfigFromEnv({ PDS_CLIENT_ID: 'app', PDS_SUBJECT: 'u' }, 'http://x'), /PDS_PRIVATE_KEY/);
    assert.throws(() => pdsServerConfigFromEnv({ PDS_DRIVE_ID: 'abc' }, 'http://x'), /PDS_DRIVE_ID/);
    assert.throws(() => pdsServerConfigFromEnv({ PDS_PARALLEL: 'maybe' }, 'http://x'), /PDS_PARALLEL/);
    assert.throws(() => pdsServerConfigFromEnv({ PDS_CHECK_NAME_MODE: 'overwrite' }, 'http://x'), /PDS_CHECK_NAME_MODE/);
  });
});

void describe('pdsJwtAssertion', () => {
  void it('signs RS256 claims iss, sub, sub_type, aud, jti and a 60 s exp that verify with the public key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = Date.UTC(2026, 0, 1);
    const jwt = pdsJwtAssertion({ clientId: 'app', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), subject: 'u1' }, 'bj1', now);
    const [head = '', body = '', sig = ''] = jwt.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(head, 'base64url').toString()), { alg: 'RS256', typ: 'JWT' });
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual({ ...claims, jti: undefined }, { iss: 'app', sub: 'u1', sub_type: 'user', aud: 'bj1', jti: undefined, iat: now / 1000, exp: now / 1000 + 60 });
    assert.match(String(claims['jti']), /^[0-9a-f]{32}$/);
    assert.ok(verify('RSA-SHA256', Buffer.from(`${head}.${body}`), publicKey, Buffer.from(sig, 'base64url')));
  });
});
