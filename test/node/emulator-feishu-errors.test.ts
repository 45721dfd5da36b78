// Feishu emulator: every documented upload_part / upload_finish error the checklist names
// (cloud-apis.md §1.4, §1.5, §1.9, §7), each triggered and asserted with its HTTP status.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, type TestContext } from 'node:test';
import { Adler32 } from '../../src/emulator/index.js';
import { buildForm, emulatorFixture, TEST_BLOCK_SIZE, type FeishuRawClient, type RawResponse } from '../support/emulator-fixture.js';

interface Upload {
  client: FeishuRawClient;
  token: string;
  uploadId: string;
  blockNum: number;
  bytes: Buffer;
  block(seq: number): Buffer;
}

/** A fixture with one prepared upload of `size` bytes. */
async function preparedUpload(t: TestContext, api: 'files' | 'medias', size: number, options: Parameters<typeof emulatorFixture>[1] = {}): Promise<Upload & Awaited<ReturnType<typeof emulatorFixture>>> {
  const fixture = await emulatorFixture(t, options);
  const token = await fixture.client.token();
  const parent = api === 'files' ? { parent_type: 'explorer', parent_node: 'fldemulatorroot' } : { parent_type: 'docx_file', parent_node: 'doxemulatordoc' };
  const res = await fixture.client.prepare(api, { file_name: 'e.bin', ...parent, size }, token);
  const data = res.json.data as { upload_id: string; block_num: number };
  const bytes = randomBytes(size);
  return {
    ...fixture,
    token,
    uploadId: data.upload_id,
    blockNum: data.block_num,
    bytes,
    block: (seq) => bytes.subarray(seq * TEST_BLOCK_SIZE, (seq + 1) * TEST_BLOCK_SIZE),
  };
}

function assertCode(res: RawResponse, status: number, code: number): void {
  assert.equal(res.status, status, `HTTP status for ${code}: ${res.body.toString()}`);
  assert.equal(res.json.code, code, res.body.toString());
}

void describe('upload_part errors', () => {
  void it('refuses a checksum that is not the block Adler-32 with 1062008, including signed and hex forms', async (t) => {
    const u = await preparedUpload(t, 'files', 2 * TEST_BLOCK_SIZE);
    const block = u.block(0);
    const sum = new Adler32().update(block).value;
    assertCode(await u.client.part('files', u.uploadId, 0, block, u.token, { checksum: String((sum + 1) >>> 0) }), 400, 1062008);
    assertCode(await u.client.part('files', u.uploadId, 0, block, u.token, { checksum: sum.toString(16) }), 400, 1062008);
    assertCode(await u.client.part('files', u.uploadId, 0, block, u.token, { checksum: `-${sum}` }), 400, 1062008);
    assertCode(await u.client.part('files', u.uploadId, 0, block, u.token, { checksum: String(sum + 2 ** 32) }), 400, 1062008);
    assertCode(await u.client.part('files', u.uploadId, 0, block, u.token, { checksum: String(sum) }), 200, 0);
  });

  void it('refuses a size field that differs from the bytes sent with 1062009', async (t) => {
    const u = await preparedUpload(t, 'files', 2 * TEST_BLOCK_SIZE);
    assertCode(await u.client.part('files', u.uploadId, 0, u.block(0), u.token, { size: String(TEST_BLOCK_SIZE - 1) }), 400, 1062009);
  });

  void it('refuses a block whose length is not its planned length with 1062009, for middle and last blocks', async (t) => {
    const u = await preparedUpload(t, 'medias', 2 * TEST_BLOCK_SIZE + 10);
    assertCode(await u.client.part('medias', u.uploadId, 0, u.block(0).subarray(1), u.token), 400, 1062009);
    assertCode(await u.client.part('medias', u.uploadId, 2, Buffer.concat([u.block(2), Buffer.from('x')]), u.token), 400, 1062009);
    assertCode(await u.client.part('medias', u.uploadId, 1, Buffer.alloc(TEST_BLOCK_SIZE + 1), u.token), 400, 1062009);
    assertCode(await u.client.part('medias', u.uploadId, 2, u.block(2), u.token), 200, 0);
  });

  void it('refuses a seq outside 0..block_num-1 with 1062011 and a non-numeric seq with 1061002', async (t) => {
    const u = await preparedUpload(t, 'files', 2 * TEST_BLOCK_SIZE);
    assertCode(await u.client.part('files', u.uploadId, 2, u.block(1), u.token), 400, 1062011);
    const fields = buildForm([['upload_id', u.uploadId], ['seq', '-1'], ['size', '1'], ['file', Buffer.from('x')]]);
    assertCode(await u.client.send('POST', '/open-apis/drive/v1/files/upload_part', { authorization: `Bearer ${u.token}`, 'content-type': fields.contentType }, fields.body), 400, 1061002);
  });

  void it('refuses an unknown upload_id, a missing file field and a body that is not a form with 1061002', async (t) => {
    const u = await preparedUpload(t, 'files', 10);
    assertCode(await u.client.part('files', '7000000000000000001', 0, Buffer.alloc(10), u.token), 400, 1061002);
    assertCode(await u.client.part('medias', u.uploadId, 0, Buffer.alloc(10), u.token), 400, 1061002);
    assertCode(await u.client.form('/open-apis/drive/v1/files/upload_part', [['upload_id', u.uploadId], ['seq', '0'], ['size', '10']], u.token), 400, 1061002);
    assertCode(await u.client.json('/open-apis/drive/v1/files/upload_part', { upload_id: u.uploadId, seq: 0, size: 10 }, u.token), 400, 1061002);
    const truncated = buildForm([['upload_id', u.uploadId], ['seq', '0'], ['size', '10'], ['file', Buffer.alloc(10)]]);
    const body = truncated.body.subarray(0, truncated.body.length - 20);
    assertCode(await u.client.send('POST', '/open-apis/drive/v1/files/upload_part', { authorization: `Bearer ${u.token}`, 'content-type': truncated.contentType }, body), 400, 1061002);
  });

  void it('accepts the file field before the other fields', async (t) => {
    const u = await preparedUpload(t, 'medias', 10);
    const res = await u.client.form('/open-apis/drive/v1/medias/upload_part', [['file', u.bytes], ['size', '10'], ['seq', '0'], ['upload_id', u.uploadId]], u.token);
    assertCode(res, 200, 0);
    const fin = await u.client.finish('medias', u.uploadId, 1, u.token);
    assert.ok((await u.client.download('medias', String(fin.json.data?.['file_token']), u.token)).body.equals(u.bytes));
  });

  void it('answers 1061045 (HTTP 200) to a second concurrent upload_part on the same files upload_id', async (t) => {
    const u = await preparedUpload(t, 'files', 2 * TEST_BLOCK_SIZE);
    const url = new URL('/open-apis/drive/v1/files/upload_part', u.emulator.url);
    const slow = buildForm([['upload_id', u.uploadId], ['seq', '0'], ['size', String(TEST_BLOCK_SIZE)], ['file', u.block(0)]]);
    // Send everything but the last 1000 bytes, so the first call stays in flight.
    const first = new Promise<RawResponse>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${u.token}`, 'content-type': slow.contentType, 'content-length': slow.body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: JSON.parse(body.toString()) as RawResponse['json'] });
        });
      });
      req.on('error', reject);
      req.write(slow.body.subarray(0, slow.body.length - 1000));
      void sleep(700).then(() => req.end(slow.body.subarray(slow.body.length - 1000)));
    });
    await sleep(250);
    assertCode(await u.client.part('files', u.uploadId, 1, u.block(1), u.token), 200, 1061045);
    assertCode(await first, 200, 0);
    assertCode(await u.client.part('files', u.uploadId, 1, u.block(1), u.token), 200, 0);
  });

  void it('lets medias parts of one upload arrive concurrently', async (t) => {
    const u = await preparedUpload(t, 'medias', 4 * TEST_BLOCK_SIZE);
    const results = await Promise.all([0, 1, 2, 3].map((seq) => u.client.part('medias', u.uploadId, seq, u.block(seq), u.token)));
    assert.deepEqual(results.map((r) => r.json.code), [0, 0, 0, 0]);
  });
});

void describe('upload_finish errors', () => {
  void it('answers 1062010 while blocks are missing and succeeds once they arrive', async (t) => {
    const u = await preparedUpload(t, 'files', 3 * TEST_BLOCK_SIZE);
    await u.client.part('files', u.uploadId, 0, u.block(0), u.token);
    await u.client.part('files', u.uploadId, 2, u.block(2), u.token);
    const missing = await u.client.finish('files', u.uploadId, 3, u.token);
    assertCode(missing, 400, 1062010);
    assert.match(String((missing.json['error'] as { message: string }).message), /1/);
    await u.client.part('files', u.uploadId, 1, u.block(1), u.token);
    assertCode(await u.client.finish('files', u.uploadId, 3, u.token), 200, 0);
  });

  void it('refuses a block_num that is not the prepared one with 1061002', async (t) => {
    const u = await preparedUpload(t, 'medias', 2 * TEST_BLOCK_SIZE);
    await u.client.part('medias', u.uploadId, 0, u.block(0), u.token);
    await u.client.part('medias', u.uploadId, 1, u.block(1), u.token);
    assertCode(await u.client.finish('medias', u.uploadId, 3, u.token), 400, 1061002);
    assertCode(await u.client.finish('medias', u.uploadId, 1, u.token), 400, 1061002);
    assertCode(await u.client.json('/open-apis/drive/v1/medias/upload_finish', { upload_id: u.uploadId, block_num: '2' }, u.token), 400, 1061002);
    assertCode(await u.client.finish('medias', u.uploadId, 2, u.token), 200, 0);
  });
});

void describe('upload id expiry', () => {
  void it('expires upload ids after 24 h of emulator time with 1061021 on part and finish', async (t) => {
    const u = await preparedUpload(t, 'files', 2 * TEST_BLOCK_SIZE);
    await u.client.part('files', u.uploadId, 0, u.block(0), u.token);
    u.emulator.clock.advance(24 * 3_600_000 - 60_000);
    const token = await u.client.token(); // the first token expired long ago
    assertCode(await u.client.part('files', u.uploadId, 1, u.block(1), token), 200, 0);
    u.emulator.clock.advance(60_000);
    assertCode(await u.client.part('files', u.uploadId, 1, u.block(1), token), 400, 1061021);
    assertCode(await u.client.finish('files', u.uploadId, 2, token), 400, 1061021);
  });

  void it('uses the configured upload id lifetime', async (t) => {
    const u = await preparedUpload(t, 'medias', 10, { feishu: { uploadIdTtlMs: 1000 } });
    u.emulator.clock.advance(1000);
    assertCode(await u.client.part('medias', u.uploadId, 0, u.bytes, u.token), 400, 1061021);
  });

  void it('expires every open upload id on POST /__emulator/feishu/expire-uploads', async (t) => {
    const u = await preparedUpload(t, 'files', 2 * TEST_BLOCK_SIZE);
    await u.client.part('files', u.uploadId, 0, u.block(0), u.token);
    const admin = await u.client.send('POST', '/__emulator/feishu/expire-uploads');
    assert.equal(admin.status, 200);
    assert.deepEqual(admin.json, { expired: 1 });
    assert.equal(admin.headers['access-control-allow-origin'], '*');
    assertCode(await u.client.part('files', u.uploadId, 1, u.block(1), u.token), 400, 1061021);
    const fresh = await u.client.upload('files', u.bytes, u.token);
    assert.ok((await u.client.download('files', fresh, u.token)).body.equals(u.bytes), 'a new upload works after expiry');
  });
});

void describe('folder limits', () => {
  void it('refuses a new file in a folder that already has folderChildLimit children with 1062507', async (t) => {
    const { client } = await emulatorFixture(t, { feishu: { folderChildLimit: 2 } });
    const token = await client.token();
    await client.upload('files', Buffer.from('one'), token);
    await client.upload('files', Buffer.from('two'), token);
    const third = await client.prepare('files', { file_name: 'c', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 }, token);
    assertCode(third, 400, 1062507);
  });
});
