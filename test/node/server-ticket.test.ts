import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../../src/server/http-error.js';
import { TicketSigner, type UploadTicket } from '../../src/server/ticket-signer.js';

const SECRET = 'test-secret-0123456789abcdef0123456789';
const T0 = 1_800_000_000_000;

function uploadTicket(overrides: Partial<UploadTicket> = {}): UploadTicket {
  return {
    typ: 'upload', v: 1, provider: 'feishu', target: 'fldemulatorroot', fileName: 'a.bin', size: 10,
    uploadId: '7111211691345512356', partSize: 4, partCount: 3, api: 'files', subject: 'alice',
    createdAt: T0, expiresAt: T0 + 60_000, ...overrides,
  };
}

async function rejectsWith(promise: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HttpError, 'an HttpError');
    assert.equal(error.status, status);
    assert.equal(error.data.code, code);
    return true;
  });
}

void describe('TicketSigner', () => {
  void it('returns the signed payload unchanged for a genuine, unexpired ticket', async () => {
    const signer = new TicketSigner(SECRET, () => T0);
    const token = await signer.sign(uploadTicket());
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(await signer.verify(token, { typ: 'upload', provider: 'feishu' }), uploadTicket());
  });

  void it('rejects a ticket signed with another secret as ticket-invalid', async () => {
    const forged = await new TicketSigner('another-secret-of-enough-length-000', () => T0).sign(uploadTicket());
    await rejectsWith(new TicketSigner(SECRET, () => T0).verify(forged, { typ: 'upload' }), 401, 'ticket-invalid');
  });

  void it('rejects a ticket whose payload was changed after signing', async () => {
    const signer = new TicketSigner(SECRET, () => T0);
    const [, sig] = (await signer.sign(uploadTicket())).split('.');
    const bigger = Buffer.from(JSON.stringify(uploadTicket({ size: 10 ** 12 }))).toString('base64url');
    await rejectsWith(signer.verify(`${bigger}.${sig}`, { typ: 'upload' }), 401, 'ticket-invalid');
  });

  void it('rejects a ticket with a flipped signature bit', async () => {
    const signer = new TicketSigner(SECRET, () => T0);
    const [body, sig = ''] = (await signer.sign(uploadTicket())).split('.');
    const bytes = Buffer.from(sig, 'base64url');
    bytes[5] = (bytes[5] ?? 0) ^ 1;
    await rejectsWith(signer.verify(`${body}.${bytes.toString('base64url')}`, { typ: 'upload' }), 401, 'ticket-invalid');
  });

  void it('rejects malformed tokens without throwing anything but ticket-invalid', async () => {
    const signer = new TicketSigner(SECRET, () => T0);
    for (const token of ['', '.', 'abc', 'a.b.c', '!!!.???', `${Buffer.from('null').toString('base64url')}.x`]) {
      await rejectsWith(signer.verify(token, { typ: 'upload' }), 401, 'ticket-invalid');
    }
  });

  void it('rejects an expired ticket as ticket-expired unless expiry is explicitly allowed', async () => {
    let now = T0;
    const signer = new TicketSigner(SECRET, () => now);
    const token = await signer.sign(uploadTicket());
    now = T0 + 60_000;
    await rejectsWith(signer.verify(token, { typ: 'upload' }), 401, 'ticket-expired');
    assert.equal((await signer.verify(token, { typ: 'upload', allowExpired: true })).uploadId, '7111211691345512356');
  });

  void it('rejects a ticket used for another provider', async () => {
    const signer = new TicketSigner(SECRET, () => T0);
    const token = await signer.sign(uploadTicket({ provider: 'lark' }));
    await rejectsWith(signer.verify(token, { typ: 'upload', provider: 'feishu' }), 401, 'ticket-invalid');
  });

  void it('does not accept a download ticket where an upload ticket is required', async () => {
    const signer = new TicketSigner(SECRET, () => T0);
    const token = await signer.sign({ typ: 'download', v: 1, provider: 'feishu', fileToken: 'boxcn1', api: 'files', fileName: 'a', subject: 's', expiresAt: T0 + 1000 });
    await rejectsWith(signer.verify(token, { typ: 'upload' }), 401, 'ticket-invalid');
    assert.equal((await signer.verify(token, { typ: 'download' })).fileToken, 'boxcn1');
  });

  void it('refuses an empty secret', () => {
    assert.throws(() => new TicketSigner(''), TypeError);
  });
});
