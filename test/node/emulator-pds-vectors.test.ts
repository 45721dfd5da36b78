// The PDS test vectors of cloud-apis.md §6, checked against the emulator's own algorithms and
// against the emulator's HTTP behaviour (pre_hash probe, v1 proof, parallel SHA-1 contexts,
// CRC-64/ECMA, part ETag), with node:crypto as the independent reference where it has one.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { pdsProofRange } from '../../src/emulator/index.js';
import { Crc64Ecma } from '../../src/emulator/infra/crc64-ecma.js';
import { Sha1Compressor } from '../../src/emulator/infra/sha1-compressor.js';
import { WasmSha1 } from '../../src/emulator/infra/wasm-sha1.js';
import { pdsFixture } from '../support/pds-fixture.js';
import { specPattern } from '../../src/engine/testing/spec-pattern.js';

const MiB = 1048576;
const N = 2 * MiB + 1000;
const T = specPattern(N);
const SHA1_T = '74cd8cbb2068246cb1874ce35fe4742904ee506c';
const CTX = [
  { h: [], part_offset: 0 },
  { h: [2601816764, 1457056012, 183183787, 1055323026, 1734227267], part_offset: 1048576 },
  { h: [497144617, 1824817207, 3962835102, 1622197474, 2337690920], part_offset: 2097152 },
];
const PRE_HASH_T = 'd48dd3c1eeccad4e67ba2fb337a050a6cb306f44';
const PROOF_TOKEN = 'eyJ-test-access-token';
const PROOF_T = 'oKeutbzDytE=';
const CRC64_T = '6308591932164412187';

void describe('PDS test vectors (cloud-apis.md §6)', () => {
  void it('SHA-1 compression from the IV gives the spec parallel_sha1_ctx after each 1 MiB part and SHA-1(T) at the end', () => {
    const c = new Sha1Compressor();
    c.update(T.subarray(0, MiB));
    assert.deepEqual(c.words(), CTX[1]!.h);
    c.update(T.subarray(MiB, 2 * MiB));
    assert.deepEqual(c.words(), CTX[2]!.h);
    c.update(T.subarray(2 * MiB));
    assert.throws(() => c.words(), RangeError, 'no chaining state off a 64-byte boundary');
    assert.equal(c.digestHex(), SHA1_T);
    assert.equal(createHash('sha1').update(T).digest('hex'), SHA1_T, 'node:crypto agrees');
  });

  void it('SHA-1 resumed from a part context finishes with the same digest as one pass', () => {
    const c = new Sha1Compressor(CTX[2]!.h, CTX[2]!.part_offset);
    c.update(T.subarray(2 * MiB));
    assert.equal(c.digestHex(), SHA1_T);
    // Odd chunk sizes exercise the block buffer.
    const d = new Sha1Compressor();
    for (let i = 0; i < N; i += 1000) d.update(T.subarray(i, i + 1000));
    assert.equal(d.digestHex(), SHA1_T);
    assert.equal(new Sha1Compressor().digestHex(), createHash('sha1').digest('hex'), 'empty input');
  });

  void it('CRC-64/ECMA gives the check value for "123456789" and the spec value for T', () => {
    const check = new Crc64Ecma();
    check.update(Buffer.from('123456789'));
    assert.equal(check.toString(), '11051210869376104954');
    const crc = new Crc64Ecma();
    crc.update(T.subarray(0, 777));
    crc.update(T.subarray(777));
    assert.equal(crc.toString(), CRC64_T);
  });

  void it('WasmSha1 seeded from each spec parallel_sha1_ctx reaches the next ctx and SHA-1(T), also saved and restored', async () => {
    const first = await WasmSha1.create();
    first.update(T.subarray(0, MiB));
    assert.deepEqual(first.words(), CTX[1]!.h);
    const second = await WasmSha1.create(CTX[1]!.h, CTX[1]!.part_offset);
    second.update(T.subarray(MiB, 2 * MiB));
    assert.deepEqual(second.words(), CTX[2]!.h);
    const last = await WasmSha1.create(CTX[2]!.h, CTX[2]!.part_offset);
    last.update(T.subarray(2 * MiB, 2 * MiB + 333));
    assert.throws(() => last.words(), RangeError, 'no chaining state off a 64-byte boundary');
    const restored = await WasmSha1.restore(last.save());
    assert.equal(restored.length, 2 * MiB + 333);
    restored.update(T.subarray(2 * MiB + 333));
    assert.equal(restored.digestHex(), SHA1_T);
    assert.equal(restored.digestHex(), SHA1_T, 'digestHex leaves the state as it was');
    assert.equal((await WasmSha1.create()).digestHex(), createHash('sha1').digest('hex'), 'empty input');
  });

  void it('WasmSha1 agrees with the JS compressor on COS datasha and on a state past 2^32 bits', async () => {
    const js = new Sha1Compressor().update(T.subarray(0, MiB));
    const wasm = await WasmSha1.fromDatasha(js.datasha(), MiB);
    assert.equal(wasm.datasha(), js.datasha());
    // 3 GiB of prefix: the bit count no longer fits 32 bits, so its layout in the state matters.
    const far = 3 * 1024 * MiB;
    const a = await WasmSha1.create(CTX[1]!.h, far);
    const b = new Sha1Compressor(CTX[1]!.h, far);
    a.update(T.subarray(0, 1000));
    b.update(T.subarray(0, 1000));
    assert.equal(a.digestHex(), b.digestHex());
    await assert.rejects(WasmSha1.create(CTX[1]!.h, 65), RangeError);
    await assert.rejects(WasmSha1.fromDatasha('xyz', 64), RangeError);
  });

  void it('CRC-64/ECMA in WebAssembly matches the JS one, and combine joins two CRCs without the bytes', async () => {
    const wasm = await Crc64Ecma.create();
    wasm.update(T.subarray(0, 777));
    wasm.update(T.subarray(777));
    assert.equal(wasm.toString(), CRC64_T);
    assert.equal(wasm.toString(), CRC64_T, 'reading the value keeps the hasher usable');
    assert.equal((await Crc64Ecma.create()).toString(), '0');
    const crcOf = (bytes: Uint8Array): bigint => new Crc64Ecma().update(bytes).value;
    for (const cut of [0, 1, 777, MiB, N]) {
      const combined = Crc64Ecma.combine(crcOf(T.subarray(0, cut)), crcOf(T.subarray(cut)), N - cut);
      assert.equal(combined.toString(), CRC64_T, `cut at ${cut}`);
    }
  });

  void it('the v1 proof range for the spec token reads "oKeutbzDytE=" out of T', () => {
    assert.equal(createHash('md5').update(PROOF_TOKEN).digest('hex'), '48a0c8ba9ed076bb50e27a8888cffe68');
    const range = pdsProofRange(PROOF_TOKEN, N);
    assert.deepEqual(range, { start: 1211963, end: 1211971 });
    assert.equal(Buffer.from(T.subarray(range.start, range.end)).toString('base64'), PROOF_T);
    assert.equal(pdsProofRange(PROOF_TOKEN, 0), undefined, 'no proof for an empty file');
  });

  void it('accepts T uploaded in parallel with the spec contexts, stores SHA-1 and CRC-64 of T, and ETags part 1 with its MD5', async (t) => {
    const { api } = await pdsFixture(t);
    const created = await api.create({ name: 't.bin', size: N, parallel_upload: true, part_info_list: CTX.map((ctx, i) => ({ part_number: i + 1, parallel_sha1_ctx: ctx })) });
    assert.equal(created.status, 201, created.text);
    const urls = created.json['part_info_list'] as { upload_url: string }[];
    // Out of order on purpose: parallel mode takes parts in any order.
    for (const i of [2, 0, 1]) {
      const res = await api.put(urls[i]!.upload_url, T.subarray(i * MiB, (i + 1) * MiB));
      assert.equal(res.status, 200, res.text);
      if (i === 0) assert.equal(res.headers.get('etag'), `"${'d8a469bb35fb5fad7156842ba2242434'.toUpperCase()}"`);
    }
    const done = await api.complete(String(created.json['file_id']), String(created.json['upload_id']), { crc64_hash: CRC64_T });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json['content_hash'], SHA1_T.toUpperCase());
    assert.equal(done.json['crc64_hash'], CRC64_T);
    assert.equal(done.json['size'], N);
  });

  void it('answers a pre_hash probe for T with 409 PreHashMatched and a v1 proof made with the request token with rapid_upload', async (t) => {
    const { api } = await pdsFixture(t, { pds: { accessToken: PROOF_TOKEN } });
    await api.upload(T, MiB);
    const probe = await api.create({ name: 'again.bin', size: N, pre_hash: PRE_HASH_T });
    assert.equal(probe.status, 409);
    assert.equal(probe.json['code'], 'PreHashMatched');
    const rapid = await api.create({ name: 'again.bin', size: N, content_hash: SHA1_T.toUpperCase(), content_hash_name: 'sha1', proof_code: PROOF_T, proof_version: 'v1' });
    assert.equal(rapid.status, 201, rapid.text);
    assert.equal(rapid.json['rapid_upload'], true);
  });
});
