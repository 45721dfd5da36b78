// The official @larksuiteoapi/node-sdk, unchanged, pointed at the emulator with its `domain`
// option: it must fetch its own tenant token and run a multi-part upload and download. If
// the SDK sends something the emulator rejects, the emulator is wrong (task brief).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import * as lark from '@larksuiteoapi/node-sdk';
import { Adler32 } from '../../src/emulator/index.js';
import { emulatorFixture, TEST_BLOCK_SIZE } from '../support/emulator-fixture.js';

const silent = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };

/** A token cache per client, so no token leaks between emulators (the SDK's default is global). */
function memoryCache(): lark.Cache {
  const entries = new Map<unknown, { value: unknown; expire: number | undefined }>();
  return {
    set(key, value: unknown, expire, options) {
      entries.set(`${options?.namespace ?? ''}:${String(key)}`, { value, expire });
      return Promise.resolve(true);
    },
    get(key, options) {
      const hit = entries.get(`${options?.namespace ?? ''}:${String(key)}`);
      if (!hit || (hit.expire !== undefined && hit.expire < Date.now())) return Promise.resolve(undefined);
      return Promise.resolve(hit.value);
    },
  };
}

function sdkClient(url: string): lark.Client {
  return new lark.Client({
    appId: 'cli_emulator',
    appSecret: 'emulator-secret',
    domain: url,
    cache: memoryCache(),
    logger: silent,
    loggerLevel: lark.LoggerLevel.fatal,
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function sdkRoundTrip(t: TestContext, api: 'file' | 'media'): Promise<void> {
  const { emulator } = await emulatorFixture(t);
  const client = sdkClient(emulator.url);
  const bytes = randomBytes(3 * TEST_BLOCK_SIZE + 12_345);
  const prepared =
    api === 'file'
      ? await client.drive.v1.file.uploadPrepare({ data: { file_name: 'sdk.bin', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: bytes.length } })
      : await client.drive.v1.media.uploadPrepare({
          data: { file_name: 'sdk.bin', parent_type: 'docx_file', parent_node: 'doxemulatordoc', size: bytes.length, extra: JSON.stringify({ drive_route_token: 'doxemulatordoc' }) },
        });
  assert.equal(prepared.code, 0);
  const uploadId = prepared.data?.upload_id ?? '';
  const blockSize = prepared.data?.block_size ?? 0;
  const blockNum = prepared.data?.block_num ?? 0;
  assert.equal(blockSize, TEST_BLOCK_SIZE);
  assert.equal(blockNum, 4);
  for (let seq = 0; seq < blockNum; seq++) {
    const block = bytes.subarray(seq * blockSize, (seq + 1) * blockSize);
    const payload = { data: { upload_id: uploadId, seq, size: block.length, file: block } };
    if (api === 'file') await client.drive.v1.file.uploadPart(payload);
    else await client.drive.v1.media.uploadPart(payload);
  }
  const finished =
    api === 'file'
      ? await client.drive.v1.file.uploadFinish({ data: { upload_id: uploadId, block_num: blockNum } })
      : await client.drive.v1.media.uploadFinish({ data: { upload_id: uploadId, block_num: blockNum } });
  assert.equal(finished.code, 0);
  const fileToken = finished.data?.file_token ?? '';
  assert.match(fileToken, /^boxcn/);

  const download =
    api === 'file'
      ? await client.drive.v1.file.download({ path: { file_token: fileToken } })
      : await client.drive.v1.media.download({ path: { file_token: fileToken } });
  const stored = await readAll(download.getReadableStream());
  assert.ok(stored.equals(bytes), 'downloaded bytes equal the uploaded bytes');

  // The SDK fetched exactly one token by itself and every part was accepted.
  const kind = api === 'file' ? 'files' : 'medias';
  assert.equal(emulator.log.filter('feishu.token').length, 1);
  const parts = emulator.log.filter(`feishu.${kind}.upload_part`);
  assert.equal(parts.length, blockNum);
  assert.ok(parts.every((p) => p.status === 200 && p.code === 0));
}

void test('the official SDK uploads a multi-part drive file through the files API and downloads it byte-identical', async (t) => {
  await sdkRoundTrip(t, 'file');
});

void test('the official SDK uploads a multi-part media through the medias API and downloads it byte-identical', async (t) => {
  await sdkRoundTrip(t, 'media');
});

void test('the official SDK sends an Adler-32 checksum the emulator accepts, and a wrong one is refused with 1062008', async (t) => {
  const { emulator } = await emulatorFixture(t);
  const client = sdkClient(emulator.url);
  const bytes = randomBytes(TEST_BLOCK_SIZE + 10);
  const prepared = await client.drive.v1.file.uploadPrepare({ data: { file_name: 'c.bin', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: bytes.length } });
  const uploadId = prepared.data?.upload_id ?? '';
  const first = bytes.subarray(0, TEST_BLOCK_SIZE);
  const good = await client.drive.v1.file.uploadPart({ data: { upload_id: uploadId, seq: 0, size: first.length, checksum: new Adler32().update(first).toString(), file: first } });
  assert.deepEqual(good, {}, 'uploadPart resolves to the empty data of a success');
  const second = bytes.subarray(TEST_BLOCK_SIZE);
  await assert.rejects(
    client.drive.v1.file.uploadPart({ data: { upload_id: uploadId, seq: 1, size: second.length, checksum: '12345', file: second } }),
    (error: { response?: { status?: number; data?: { code?: number } } }) => error.response?.status === 400 && error.response.data?.code === 1062008,
  );
});

void test('the official SDK gets no token for a wrong app secret', async (t) => {
  const { emulator } = await emulatorFixture(t);
  const client = new lark.Client({ appId: 'cli_emulator', appSecret: 'wrong', domain: emulator.url, cache: memoryCache(), logger: silent, loggerLevel: lark.LoggerLevel.fatal });
  await assert.rejects(client.drive.v1.file.uploadPrepare({ data: { file_name: 'x', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 } }));
  assert.equal(emulator.log.filter('feishu.*.upload_prepare').length, 0, 'no drive call without a token');
});
