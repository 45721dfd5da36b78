// Feishu/Lark emulator: tokens, prepare validation, multi-part uploads, downloads, restart,
// and the Lark host (cloud-apis.md §1, §7 "Feishu / Lark").
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Adler32, startEmulator } from '../../src/emulator/index.js';
import { buildForm, emulatorFixture, FeishuRawClient, TEST_BLOCK_SIZE } from '../support/emulator-fixture.js';

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const MINUTE = 60_000;

interface Prepared {
  upload_id: string;
  block_size: number;
  block_num: number;
}

function prepared(data: Record<string, unknown> | undefined): Prepared {
  assert.ok(data, 'prepare answered with data');
  return data as unknown as Prepared;
}

void describe('tenant_access_token/internal', () => {
  void it('issues a t- token with a 2 h expire at the top level of the body', async (t) => {
    const { client } = await emulatorFixture(t);
    const res = await client.json(TOKEN_PATH, { app_id: 'cli_emulator', app_secret: 'emulator-secret' });
    assert.equal(res.status, 200);
    assert.equal(res.json.code, 0);
    assert.match(String(res.json['tenant_access_token']), /^t-[0-9a-f]{40}$/);
    assert.equal(res.json['expire'], 7200);
    assert.equal(res.json.data, undefined, 'token fields are not under data');
  });

  void it('returns the same token while 30 min or more are left, then a new one, and the old one still works until it expires', async (t) => {
    const frozen = Date.UTC(2026, 0, 1);
    const { emulator, client } = await emulatorFixture(t, { now: () => frozen });
    const first = await client.token();
    emulator.clock.advance(60 * MINUTE);
    const again = await client.json(TOKEN_PATH, { app_id: 'cli_emulator', app_secret: 'emulator-secret' });
    assert.equal(again.json['tenant_access_token'], first);
    assert.equal(again.json['expire'], 3600);
    emulator.clock.advance(31 * MINUTE);
    const renewed = await client.token();
    assert.notEqual(renewed, first);
    const prep = { file_name: 'a', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 };
    assert.equal((await client.prepare('files', prep, first)).json.code, 0, 'old token valid until it expires');
    emulator.clock.advance(30 * MINUTE);
    const expired = await client.prepare('files', prep, first);
    assert.equal(expired.json.code, 99991663);
    assert.equal((await client.prepare('files', prep, renewed)).json.code, 0);
  });

  void it('refuses a wrong secret (10015), an unknown app (10014) and missing fields (99991543)', async (t) => {
    const { client } = await emulatorFixture(t);
    const wrongSecret = await client.json(TOKEN_PATH, { app_id: 'cli_emulator', app_secret: 'nope' });
    assert.equal(wrongSecret.json.code, 10015);
    assert.equal(wrongSecret.json['tenant_access_token'], undefined);
    assert.equal((await client.json(TOKEN_PATH, { app_id: 'cli_other', app_secret: 'emulator-secret' })).json.code, 10014);
    assert.equal((await client.json(TOKEN_PATH, { app_id: 'cli_emulator' })).json.code, 99991543);
    assert.equal((await client.send('POST', TOKEN_PATH, { 'content-type': 'application/json' }, Buffer.from('{oops'))).json.code, 99991543);
  });

  void it('knows the app configured in options', async (t) => {
    const { client } = await emulatorFixture(t, { feishu: { appId: 'cli_custom', appSecret: 's3cret' } });
    assert.match(await client.token('cli_custom', 's3cret'), /^t-/);
    assert.equal((await client.json(TOKEN_PATH, { app_id: 'cli_emulator', app_secret: 'emulator-secret' })).json.code, 10014);
  });
});

void describe('bearer check on drive routes', () => {
  const body = { file_name: 'a', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 };

  void it('answers 99991661 without an Authorization header and 99991663 for an unknown token', async (t) => {
    const { client } = await emulatorFixture(t);
    const missing = await client.prepare('files', body, undefined as unknown as string);
    assert.equal(missing.status, 400);
    assert.equal(missing.json.code, 99991661);
    const notBearer = await client.send('POST', '/open-apis/drive/v1/files/upload_prepare', { authorization: 'Basic abc', 'content-type': 'application/json' }, Buffer.from(JSON.stringify(body)));
    assert.equal(notBearer.json.code, 99991661);
    const unknown = await client.prepare('files', body, 't-0000000000000000000000000000000000000000');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.code, 99991663);
  });

  void it('guards upload_part, upload_finish, upload_all and downloads too', async (t) => {
    const { client } = await emulatorFixture(t);
    const token = await client.token();
    const fileToken = await client.upload('files', randomBytes(100), token);
    assert.equal((await client.part('files', '1', 0, Buffer.from('x'), 'bad')).json.code, 99991663);
    assert.equal((await client.finish('medias', '1', 1, 'bad')).json.code, 99991663);
    assert.equal((await client.form('/open-apis/drive/v1/files/upload_all', [['file', Buffer.from('x')]])).json.code, 99991661);
    const download = await client.send('GET', `/open-apis/drive/v1/files/${fileToken}/download`);
    assert.equal(download.json.code, 99991661);
  });
});

void describe('upload_prepare', () => {
  void it('dictates block_size and block_num and returns a numeric string upload_id above 2^53', async (t) => {
    const { client } = await emulatorFixture(t);
    const token = await client.token();
    const res = await client.prepare('files', { file_name: 'big.bin', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 5 * TEST_BLOCK_SIZE + 1 }, token);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json).sort(), ['code', 'data', 'msg']);
    assert.equal(res.json.msg, 'success');
    const data = prepared(res.json.data);
    assert.equal(data.block_size, TEST_BLOCK_SIZE);
    assert.equal(data.block_num, 6);
    assert.equal(typeof data.upload_id, 'string');
    assert.match(data.upload_id, /^\d+$/);
    assert.ok(BigInt(data.upload_id) > 2n ** 53n);
  });

  void it('uses 4 MiB blocks by default', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ccu-emulator-'));
    const emulator = await startEmulator({ port: 0, dataDir });
    t.after(async () => {
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    });
    const client = new FeishuRawClient(emulator.url);
    const res = await client.prepare('medias', { file_name: 'a', parent_type: 'docx_image', parent_node: 'doxemulatordoc', size: 9 * 1024 * 1024 }, await client.token());
    assert.deepEqual({ ...prepared(res.json.data), upload_id: 'x' }, { upload_id: 'x', block_size: 4_194_304, block_num: 3 });
  });

  void it('rejects empty and over-long names with 1061008 and accepts 250 characters', async (t) => {
    const { client } = await emulatorFixture(t);
    const token = await client.token();
    const base = { parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 10 };
    const empty = await client.prepare('files', { ...base, file_name: '' }, token);
    assert.equal(empty.status, 400);
    assert.equal(empty.json.code, 1061008);
    assert.equal((await client.prepare('files', { ...base, file_name: 'x'.repeat(251) }, token)).json.code, 1061008);
    assert.equal((await client.prepare('files', { ...base, file_name: '文'.repeat(250) }, token)).json.code, 0);
  });

  void it('checks parent_type per API (1061002) and that parent_node exists (1061044)', async (t) => {
    const { client } = await emulatorFixture(t, { feishu: { parents: ['fldA', 'doxB'] } });
    const token = await client.token();
    const files = (parent_type: string, parent_node: string) => client.prepare('files', { file_name: 'a', parent_type, parent_node, size: 1 }, token);
    const medias = (parent_type: string, parent_node: string) => client.prepare('medias', { file_name: 'a', parent_type, parent_node, size: 1 }, token);
    assert.equal((await files('docx_image', 'fldA')).json.code, 1061002);
    assert.equal((await files('explorer', 'fldA')).json.code, 0);
    const missingParent = await files('explorer', 'fldemulatorroot');
    assert.equal(missingParent.status, 400);
    assert.equal(missingParent.json.code, 1061044);
    assert.equal((await medias('explorer', 'doxB')).json.code, 1061002);
    assert.equal((await medias('sheet_image', 'doxB')).json.code, 0);
    assert.equal((await medias('bitable_file', 'nope')).json.code, 1061044);
    assert.equal((await medias('ccm_import_open', '')).json.code, 0, 'import flow has no parent node');
  });

  void it('rejects a bad size or extra with 1061002 and a size beyond the ceiling with 1061043', async (t) => {
    const { client } = await emulatorFixture(t, { feishu: { maxFileSize: 1000 } });
    const token = await client.token();
    const media = (extra: Record<string, unknown>) => client.prepare('medias', { file_name: 'a', parent_type: 'docx_file', parent_node: 'doxemulatordoc', size: 10, ...extra }, token);
    assert.equal((await media({ size: -1 })).json.code, 1061002);
    assert.equal((await media({ size: 1.5 })).json.code, 1061002);
    assert.equal((await media({ size: '10' })).json.code, 1061002);
    assert.equal((await media({ extra: '{not json' })).json.code, 1061002);
    assert.equal((await media({ extra: { drive_route_token: 'x' } })).json.code, 1061002, 'extra must be a string, not an object');
    assert.equal((await media({ extra: JSON.stringify({ drive_route_token: 'doxemulatordoc' }) })).json.code, 0);
    const tooBig = await media({ size: 1001 });
    assert.equal(tooBig.status, 400);
    assert.equal(tooBig.json.code, 1061043);
    assert.equal((await client.send('POST', '/open-apis/drive/v1/medias/upload_prepare', { authorization: `Bearer ${token}` }, Buffer.from('nope'))).json.code, 1061002);
  });

  void it('plans size 0 as zero blocks for medias, finishing into an empty file, and refuses size 0 on the files API', async (t) => {
    const { client } = await emulatorFixture(t);
    const token = await client.token();
    const files = await client.prepare('files', { file_name: 'empty', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 0 }, token);
    assert.equal(files.json.code, 1061002);
    const media = prepared((await client.prepare('medias', { file_name: 'empty', parent_type: 'docx_file', parent_node: 'doxemulatordoc', size: 0 }, token)).json.data);
    assert.equal(media.block_num, 0);
    assert.equal((await client.part('medias', media.upload_id, 0, Buffer.alloc(0), token)).json.code, 1062011);
    const fin = await client.finish('medias', media.upload_id, 0, token);
    assert.equal(fin.json.code, 0);
    const download = await client.download('medias', String(fin.json.data?.['file_token']), token);
    assert.equal(download.status, 200);
    assert.equal(download.headers['content-length'], '0');
    assert.equal(download.body.length, 0);
  });
});

void describe('multi-part upload and download', () => {
  void it('accepts parts out of order and re-sent (the last copy wins) and stores the original bytes', async (t) => {
    const { client, emulator } = await emulatorFixture(t);
    const token = await client.token();
    const bytes = randomBytes(3 * 1024 * 1024 + 777); // several MiB, not a multiple of the block size
    const plan = prepared((await client.prepare('files', { file_name: 'report.bin', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: bytes.length }, token)).json.data);
    assert.equal(plan.block_num, Math.ceil(bytes.length / TEST_BLOCK_SIZE));
    const block = (seq: number) => bytes.subarray(seq * plan.block_size, (seq + 1) * plan.block_size);
    const order = Array.from({ length: plan.block_num }, (_, i) => i).reverse();
    // Send block 3 first with wrong bytes of the right length, to be overwritten later.
    const wrong = randomBytes(plan.block_size);
    assert.equal((await client.part('files', plan.upload_id, 3, wrong, token)).json.code, 0);
    for (const seq of order) {
      const data = block(seq);
      const res = await client.part('files', plan.upload_id, seq, data, token, { checksum: new Adler32().update(data).toString() });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { code: 0, msg: 'success', data: {} });
    }
    assert.equal((await client.part('files', plan.upload_id, 0, block(0), token)).json.code, 0, 're-sending a stored block is fine');
    const fin = await client.finish('files', plan.upload_id, plan.block_num, token);
    assert.equal(fin.status, 200);
    const fileToken = String(fin.json.data?.['file_token']);
    assert.match(fileToken, /^boxcn[A-Za-z0-9]{22}$/);
    const download = await client.download('files', fileToken, token);
    assert.equal(download.status, 200);
    assert.equal(download.headers['content-length'], String(bytes.length));
    assert.equal(download.headers['content-type'], 'application/octet-stream');
    assert.ok(download.body.equals(bytes), 'downloaded bytes equal the original bytes');
    assert.equal(emulator.feishu.files().find((f) => f.fileToken === fileToken)?.fileName, 'report.bin');
    const partLog = emulator.log.filter('feishu.files.upload_part');
    assert.equal(partLog.length, plan.block_num + 2);
    assert.ok(partLog.every((e) => e.bytesIn > 0 && e.code === 0));
  });

  void it('writes a part to disk while its body is still arriving', async (t) => {
    const blockSize = 4 * 1024 * 1024;
    const { client, emulator, dataDir } = await emulatorFixture(t, { feishu: { blockSize } });
    const token = await client.token();
    const bytes = randomBytes(blockSize);
    const plan = prepared((await client.prepare('files', { file_name: 'big', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: blockSize }, token)).json.data);
    const form = buildForm([['upload_id', plan.upload_id], ['seq', '0'], ['size', String(blockSize)], ['file', bytes]]);
    const tmp = join(dataDir, 'feishu', 'tmp');
    const done = new Promise<number>((resolve, reject) => {
      const req = request(new URL('/open-apis/drive/v1/files/upload_part', emulator.url), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': form.contentType, 'content-length': form.body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(form.body.subarray(0, 3 * 1024 * 1024));
      t.after(() => req.destroy());
      void (async () => {
        // Wait until the first 3 MiB reached the temp file, then send the rest.
        let onDisk = 0;
        for (let i = 0; i < 100 && onDisk < 2 * 1024 * 1024; i++) {
          await sleep(20);
          const names = await readdir(tmp);
          onDisk = names.length === 1 && names[0] ? (await stat(join(tmp, names[0]))).size : 0;
        }
        assert.ok(onDisk >= 2 * 1024 * 1024, `bytes reach disk before the body ends (${onDisk})`);
        req.end(form.body.subarray(3 * 1024 * 1024));
      })().catch(reject);
    });
    assert.equal(await done, 200);
    const fin = await client.finish('files', plan.upload_id, 1, token);
    assert.ok((await client.download('files', String(fin.json.data?.['file_token']), token)).body.equals(bytes));
  });

  void it('invalidates the upload_id after finish', async (t) => {
    const { client } = await emulatorFixture(t);
    const token = await client.token();
    const plan = prepared((await client.prepare('medias', { file_name: 'a', parent_type: 'docx_file', parent_node: 'doxemulatordoc', size: 10 }, token)).json.data);
    await client.part('medias', plan.upload_id, 0, randomBytes(10), token);
    assert.equal((await client.finish('medias', plan.upload_id, 1, token)).json.code, 0);
    assert.equal((await client.finish('medias', plan.upload_id, 1, token)).json.code, 1061002);
    assert.equal((await client.part('medias', plan.upload_id, 0, randomBytes(10), token)).json.code, 1061002);
  });

  void it('serves files only on the files download path and medias only on the medias path', async (t) => {
    const { client } = await emulatorFixture(t);
    const token = await client.token();
    const fileBytes = randomBytes(5000);
    const mediaBytes = randomBytes(6000);
    const fileToken = await client.upload('files', fileBytes, token);
    const mediaToken = await client.upload('medias', mediaBytes, token);
    assert.ok((await client.download('files', fileToken, token)).body.equals(fileBytes));
    assert.ok((await client.download('medias', mediaToken, token)).body.equals(mediaBytes));
    const cross = await client.download('medias', fileToken, token);
    assert.equal(cross.status, 404);
    assert.equal(cross.json.code, 1061003);
    assert.equal((await client.download('files', mediaToken, token)).json.code, 1061003);
    assert.equal((await client.download('files', 'boxcnnope', token)).status, 404);
  });

  void it('honours a Range header with 206 and Content-Range, and answers 416 outside the file', async (t) => {
    const { client } = await emulatorFixture(t);
    const token = await client.token();
    const bytes = randomBytes(200_000);
    const fileToken = await client.upload('files', bytes, token);
    const middle = await client.download('files', fileToken, token, 'bytes=1000-1999');
    assert.equal(middle.status, 206);
    assert.equal(middle.headers['content-range'], `bytes 1000-1999/${bytes.length}`);
    assert.ok(middle.body.equals(bytes.subarray(1000, 2000)));
    const tail = await client.download('files', fileToken, token, 'bytes=-10');
    assert.ok(tail.body.equals(bytes.subarray(bytes.length - 10)));
    const open = await client.download('files', fileToken, token, 'bytes=199990-');
    assert.ok(open.body.equals(bytes.subarray(199_990)));
    const outside = await client.download('files', fileToken, token, `bytes=${bytes.length}-`);
    assert.equal(outside.status, 416);
    assert.equal(outside.headers['content-range'], `bytes */${bytes.length}`);
  });

  void it('stores upload_all files (fields in any order) and checks size, checksum and content type', async (t) => {
    const { client } = await emulatorFixture(t);
    const token = await client.token();
    const bytes = randomBytes(300_000);
    const checksum = new Adler32().update(bytes).toString();
    const path = '/open-apis/drive/v1/files/upload_all';
    const ok = await client.form(path, [['file', bytes], ['file_name', 'all.bin'], ['parent_type', 'explorer'], ['parent_node', 'fldemulatorroot'], ['size', String(bytes.length)], ['checksum', checksum]], token);
    assert.equal(ok.json.code, 0, ok.body.toString());
    assert.ok((await client.download('files', String(ok.json.data?.['file_token']), token)).body.equals(bytes));
    const fields = (size: string, sum?: string, file = bytes) => {
      const list: [string, string | Buffer][] = [['file_name', 'all.bin'], ['parent_type', 'explorer'], ['parent_node', 'fldemulatorroot'], ['size', size]];
      if (sum !== undefined) list.push(['checksum', sum]);
      list.push(['file', file]);
      return list;
    };
    assert.equal((await client.form(path, fields(String(bytes.length + 1)), token)).json.code, 1062009);
    assert.equal((await client.form(path, fields(String(bytes.length), '1'), token)).json.code, 1062008);
    assert.equal((await client.form(path, fields(`${bytes.length} `), token)).json.code, 1061002, 'trailing space in size');
    assert.equal((await client.form(path, fields('0', undefined, Buffer.alloc(0)), token)).json.code, 1061002, 'files API refuses empty files');
    assert.equal((await client.form(path, fields('20971521'), token)).json.code, 1061043);
    const json = await client.json(path, { file_name: 'a', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 }, token);
    assert.equal(json.json.code, 1061002, 'JSON instead of a form');
    const media = await client.form('/open-apis/drive/v1/medias/upload_all', [['file_name', 'm.png'], ['parent_type', 'docx_image'], ['parent_node', 'doxemulatordoc'], ['size', '3'], ['extra', '{"drive_route_token":"doxemulatordoc"}'], ['file', Buffer.from('abc')]], token);
    assert.equal(media.json.code, 0);
    assert.equal((await client.download('medias', String(media.json.data?.['file_token']), token)).body.toString(), 'abc');
  });

  void it('keeps finished files downloadable and open uploads resumable after a restart on the same dataDir', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ccu-emulator-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const options = { port: 0, dataDir, feishu: { blockSize: TEST_BLOCK_SIZE, rateLimit: { enabled: false } } };
    const bytes = randomBytes(2 * TEST_BLOCK_SIZE + 5);
    const first = await startEmulator(options);
    let client = new FeishuRawClient(first.url);
    let token = await client.token();
    const fileToken = await client.upload('files', bytes, token);
    const plan = prepared((await client.prepare('files', { file_name: 'half.bin', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: bytes.length }, token)).json.data);
    await client.part('files', plan.upload_id, 0, bytes.subarray(0, TEST_BLOCK_SIZE), token);
    await first.close();

    const second = await startEmulator(options);
    t.after(() => second.close());
    client = new FeishuRawClient(second.url);
    assert.equal((await client.download('files', fileToken, token)).json.code, 99991663, 'tokens do not survive a restart');
    token = await client.token();
    assert.ok((await client.download('files', fileToken, token)).body.equals(bytes));
    await client.part('files', plan.upload_id, 1, bytes.subarray(TEST_BLOCK_SIZE, 2 * TEST_BLOCK_SIZE), token);
    await client.part('files', plan.upload_id, 2, bytes.subarray(2 * TEST_BLOCK_SIZE), token);
    const fin = await client.finish('files', plan.upload_id, plan.block_num, token);
    assert.ok((await client.download('files', String(fin.json.data?.['file_token']), token)).body.equals(bytes));
  });
});

void describe('response envelope and hosts', () => {
  void it('sends X-Tt-Logid on every response and repeats it as error.log_id', async (t) => {
    const { client } = await emulatorFixture(t);
    const token = await client.token();
    const ok = await client.prepare('files', { file_name: 'a', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 }, token);
    assert.match(String(ok.headers['x-tt-logid']), /^\d{14}[0-9A-F]{20}$/);
    const bad = await client.prepare('files', { file_name: '', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 }, token);
    const error = bad.json['error'] as { log_id: string; message: string };
    assert.equal(error.log_id, bad.headers['x-tt-logid']);
    assert.equal(bad.json.msg, 'invalid file name.');
    assert.equal(typeof error.message, 'string');
  });

  void it('sends no CORS headers on open-apis routes by default, and does when cors is on', async (t) => {
    const off = await emulatorFixture(t);
    const offToken = await off.client.token();
    const res = await off.client.prepare('files', { file_name: 'a', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 }, offToken);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    const offPreflight = await off.client.send('OPTIONS', '/open-apis/drive/v1/files/upload_part', { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' });
    assert.equal(offPreflight.headers['access-control-allow-origin'], undefined);
    const on = await emulatorFixture(t, { feishu: { cors: true } });
    const onPreflight = await on.client.send('OPTIONS', '/open-apis/drive/v1/files/upload_part', { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' });
    assert.equal(onPreflight.status, 204);
    assert.equal(onPreflight.headers['access-control-allow-origin'], '*');
    assert.match(String(onPreflight.headers['access-control-allow-headers']), /Authorization/);
    const onToken = await on.client.token();
    const prepared = await on.client.prepare('files', { file_name: 'a', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 }, onToken);
    assert.equal(prepared.headers['access-control-allow-origin'], '*');
  });

  void it('serves the Lark host on the same routes with the same behaviour', async (t) => {
    const { client, emulator } = await emulatorFixture(t);
    const lark = { host: 'open.larksuite.com' };
    const tokenRes = await client.send('POST', TOKEN_PATH, { ...lark, 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ app_id: 'cli_emulator', app_secret: 'emulator-secret' })));
    const token = String(tokenRes.json['tenant_access_token']);
    const bytes = randomBytes(TEST_BLOCK_SIZE + 99);
    const body = Buffer.from(JSON.stringify({ file_name: 'lark.bin', parent_type: 'docx_file', parent_node: 'doxemulatordoc', size: bytes.length }));
    const prep = await client.send('POST', '/open-apis/drive/v1/medias/upload_prepare', { ...lark, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body);
    const plan = prepared(prep.json.data);
    for (let seq = 0; seq < plan.block_num; seq++) {
      assert.equal((await client.part('medias', plan.upload_id, seq, bytes.subarray(seq * TEST_BLOCK_SIZE, (seq + 1) * TEST_BLOCK_SIZE), token)).json.code, 0);
    }
    const fin = await client.send('POST', '/open-apis/drive/v1/medias/upload_finish', { ...lark, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ upload_id: plan.upload_id, block_num: plan.block_num })));
    const download = await client.send('GET', `/open-apis/drive/v1/medias/${String(fin.json.data?.['file_token'])}/download`, { ...lark, authorization: `Bearer ${token}` });
    assert.ok(download.body.equals(bytes));
    assert.equal(emulator.log.filter('feishu.medias.upload_prepare')[0]?.host, 'open.larksuite.com');
  });
});
