// Emulator building blocks shared by every flavour: Adler-32, the streaming multipart parser,
// the rate limiter, the fault controller and the blob store.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Adler32, BlobStore, FaultController, MultipartError, multipartBoundary, parseMultipart, RateLimiter } from '../../src/emulator/index.js';
import { buildForm } from '../support/emulator-fixture.js';
import { specPattern } from '../../src/engine/testing/spec-pattern.js';

/** Every byte of a stream. */
async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Yields `body` in pieces of the given sizes (cycling), to move chunk boundaries around. */
function* chunked(body: Buffer, sizes: readonly number[]): Generator<Buffer> {
  let offset = 0;
  let i = 0;
  while (offset < body.length) {
    const size = sizes[i++ % sizes.length] ?? 1;
    yield body.subarray(offset, offset + size);
    offset += size;
  }
}

async function parse(body: Buffer, boundary: string, sizes: readonly number[] = [body.length]) {
  const files = new Map<string, Buffer[]>();
  const result = await parseMultipart(chunked(body, sizes), boundary, {
    fileFields: new Set(['file']),
    onFile: (info) => {
      const parts: Buffer[] = [];
      files.set(info.name, parts);
      return { write: (chunk) => void parts.push(Buffer.from(chunk)) };
    },
  });
  return { ...result, file: Buffer.concat(files.get('file') ?? []) };
}

void describe('Adler32', () => {
  void it('matches the check values of cloud-apis.md §1.7 and §6', () => {
    assert.equal(new Adler32().value, 1);
    assert.equal(new Adler32().update(Buffer.from('Wikipedia')).value, 300286872);
    assert.equal(new Adler32().update(Buffer.from('hello world')).toString(), '436929629');
    const testFile = Buffer.from(specPattern().buffer);
    assert.equal(new Adler32().update(testFile).toString(), '3187465499');
  });

  void it('gives the same value fed in pieces as in one go', () => {
    const bytes = randomBytes(100_003);
    const whole = new Adler32().update(bytes).value;
    const pieces = new Adler32();
    for (let i = 0; i < bytes.length; i += 777) pieces.update(bytes.subarray(i, i + 777));
    assert.equal(pieces.value, whole);
  });

  void it('gives the same values in WebAssembly (Adler32.create) as the JS reference, read as often as wanted', async () => {
    assert.equal((await Adler32.create()).value, 1);
    assert.equal((await Adler32.create()).update(Buffer.from('Wikipedia')).value, 300286872);
    const bytes = randomBytes(100_003);
    const wasm = await Adler32.create();
    wasm.update(bytes.subarray(0, 5000));
    assert.equal(wasm.value, new Adler32().update(bytes.subarray(0, 5000)).value);
    wasm.update(bytes.subarray(5000));
    assert.equal(wasm.toString(), new Adler32().update(bytes).toString());
  });
});

void describe('parseMultipart', () => {
  const boundary = 'xYzBoundary';
  const file = Buffer.concat([randomBytes(5000), Buffer.from(`\r\n--${boundary.slice(0, 5)}\r\n--`), randomBytes(3000)]);
  const { body } = buildForm([['upload_id', '7123'], ['seq', '3'], ['file', file], ['size', String(file.length)]], boundary);

  void it('parses text fields and streams the file field, wherever the chunk boundaries fall', async () => {
    for (const sizes of [[body.length], [1], [7, 13, 1], [boundary.length + 3], [4096, 1, 2]]) {
      const result = await parse(body, boundary, sizes);
      assert.equal(result.fields.get('upload_id'), '7123');
      assert.equal(result.fields.get('seq'), '3');
      assert.equal(result.fields.get('size'), String(file.length));
      assert.ok(result.file.equals(file), `file bytes intact with chunk sizes ${sizes.join(',')}`);
      assert.deepEqual([...result.files], ['file']);
    }
  });

  void it('hands onFile the fields seen before the file', async () => {
    let seen: string[] = [];
    await parseMultipart(chunked(body, [100]), boundary, {
      fileFields: new Set(['file']),
      onFile: (_info, fields) => {
        seen = [...fields.keys()];
        return undefined;
      },
    });
    assert.deepEqual(seen, ['upload_id', 'seq']);
  });

  void it('ignores a preamble and an epilogue', async () => {
    const wrapped = Buffer.concat([Buffer.from('preamble text\r\n'), body, Buffer.from('epilogue')]);
    const result = await parse(wrapped, boundary, [3]);
    assert.ok(result.file.equals(file));
  });

  void it('rejects a body without the closing boundary, an oversized field and a part without a name', async () => {
    await assert.rejects(parse(body.subarray(0, body.length - 10), boundary), MultipartError);
    const big = buildForm([['seq', 'x'.repeat(70_000)]], boundary).body;
    await assert.rejects(parse(big, boundary), MultipartError);
    const nameless = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${boundary}--\r\n`);
    await assert.rejects(parse(nameless, boundary), MultipartError);
  });

  void it('reads the boundary from Content-Type, quoted or not, and nothing from other types', () => {
    assert.equal(multipartBoundary('multipart/form-data; boundary=abc'), 'abc');
    assert.equal(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b"'), 'a b');
    assert.equal(multipartBoundary('application/json'), undefined);
    assert.equal(multipartBoundary('multipart/form-data'), undefined);
  });
});

void describe('RateLimiter', () => {
  void it('allows a burst of qps, refills at qps per second and counts a daily budget', () => {
    let now = 0;
    const limits = { qps: 5, perDay: 8, enabled: true };
    const limiter = new RateLimiter(() => now, () => limits);
    assert.deepEqual(Array.from({ length: 6 }, () => limiter.take('a')), ['ok', 'ok', 'ok', 'ok', 'ok', 'qps']);
    assert.equal(limiter.take('b'), 'ok', 'keys are independent');
    now += 200;
    assert.equal(limiter.take('a'), 'ok');
    assert.equal(limiter.take('a'), 'qps');
    now += 1000;
    assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a')], ['ok', 'ok', 'day']);
    now += 86_400_000;
    assert.equal(limiter.take('a'), 'ok');
    limits.enabled = false;
    assert.ok(Array.from({ length: 50 }, () => limiter.take('a')).every((v) => v === 'ok'));
  });
});

void describe('FaultController', () => {
  void it('injects nothing by default and validates configs', () => {
    const faults = new FaultController();
    assert.deepEqual(faults.decide('feishu.files.upload_part'), { latencyMs: 0 });
    assert.throws(() => faults.set({ routes: { x: { errorRate: 1.5 } } }), /errorRate/);
    assert.throws(() => faults.set({ routes: { x: { failNext: 0.5 } } }), /failNext/);
  });

  void it('decides the same faults for the same seed and request sequence', () => {
    const config = { seed: 11, routes: { '*': { errorRate: 0.3, dropRate: 0.1 } } };
    const run = () => {
      const faults = new FaultController(config);
      return Array.from({ length: 50 }, () => faults.decide('r'));
    };
    assert.deepEqual(run(), run());
  });
});

void describe('BlobStore', () => {
  void it('stores parts as files, assembles them in the given order and deletes the parts', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'ccu-blob-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const store = new BlobStore(root);
    await store.init();
    const parts = [randomBytes(1000), randomBytes(10), randomBytes(3000)];
    for (const i of [2, 0, 1]) {
      const temp = await store.createTemp();
      await temp.write(parts[i] ?? Buffer.alloc(0));
      await store.commitPart(temp, 'up1', i);
    }
    assert.equal(await store.partSize('up1', 2), 3000);
    assert.equal(await store.assemble('up1', [0, 1, 2], 'obj1'), 4010);
    assert.ok((await readAll(store.openObject('obj1'))).equals(Buffer.concat(parts)));
    await store.deleteUpload('up1');
    assert.equal(await store.partSize('up1', 0), undefined);
    assert.deepEqual(await readdir(join(root, 'tmp')), [], 'no temporaries left behind');
    assert.throws(() => store.objectPath('../escape'), /unsafe/);
  });

  void it('completes without copying: the parts become the object, unlisted parts are deleted, nothing is stored twice', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'ccu-blob-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const store = new BlobStore(root);
    await store.init();
    const parts = [randomBytes(700), randomBytes(5), randomBytes(1300), randomBytes(64)];
    for (const [i, bytes] of parts.entries()) {
      const temp = await store.createTemp();
      await temp.write(bytes);
      await store.commitPart(temp, 'up2', i + 1);
    }
    const before = (await stat(store.partPath('up2', 1))).ino;
    assert.equal(await store.assemble('up2', [1, 3, 4], 'obj2'), 700 + 1300 + 64, 'part 2 left out, as an S3 Complete may');
    assert.equal((await stat(join(store.objectPath('obj2'), '1'))).ino, before, 'the part file itself was moved, not copied');
    assert.deepEqual((await readdir(store.objectPath('obj2'))).sort(), ['1', '3', '4', '_manifest.json'], 'the unlisted part is gone');
    assert.deepEqual(await readdir(join(root, 'uploads')), [], 'the upload folder is the object now');
    const whole = Buffer.concat([parts[0]!, parts[2]!, parts[3]!]);
    assert.ok((await readAll(store.openObject('obj2'))).equals(whole));
    assert.equal(await store.objectSize('obj2'), whole.length);
    await store.deleteObject('obj2');
    assert.equal(await store.objectSize('obj2'), undefined);
    assert.deepEqual(await readdir(join(root, 'objects')), []);
  });

  void it('reads any byte range across part boundaries, also after a restart (a new store on the same folder)', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'ccu-blob-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const store = new BlobStore(root);
    await store.init();
    const sizes = [100, 1, 0, 250, 64];
    const parts = sizes.map((n) => randomBytes(n));
    for (const [i, bytes] of parts.entries()) {
      const temp = await store.createTemp();
      await temp.write(bytes);
      await store.commitPart(temp, 'up3', i);
    }
    await store.assemble('up3', [0, 1, 2, 3, 4], 'obj3');
    const whole = Buffer.concat(parts);
    const restarted = new BlobStore(root);
    await restarted.init();
    assert.equal(await restarted.objectSize('obj3'), whole.length);
    for (const [start, end] of [[0, 0], [99, 100], [100, 101], [50, 400], [101, 350], [351, 414], [414, 414], [0, 414], [300, 10_000]] as const) {
      const got = await readAll(restarted.openObject('obj3', { start, end }));
      assert.ok(got.equals(whole.subarray(start, end + 1)), `bytes ${start}-${end}`);
    }
  });

  void it('leaves the upload untouched when the size check refuses it, and assembles an empty object from no parts', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'ccu-blob-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const store = new BlobStore(root);
    await store.init();
    const temp = await store.createTemp();
    await temp.write(randomBytes(10));
    await store.commitPart(temp, 'up4', 0);
    await assert.rejects(store.assemble('up4', [0], 'obj4', (size) => {
      if (size !== 11) throw new Error(`size ${size}`);
    }), /size 10/);
    assert.equal(await store.partSize('up4', 0), 10);
    assert.equal(await store.objectSize('obj4'), undefined);
    await assert.rejects(store.assemble('up4', [0, 1], 'obj4'), { code: 'ENOENT' });
    assert.equal(await store.partSize('up4', 0), 10, 'a missing part moves nothing');
    assert.equal(await store.assemble('empty', [], 'obj5'), 0);
    assert.equal((await readAll(store.openObject('obj5'))).length, 0);
  });

  void it('keeps every byte of a temp blob written in many chunks, in order', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'ccu-blob-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const store = new BlobStore(root);
    await store.init();
    const chunks = Array.from({ length: 300 }, (_, i) => randomBytes(1 + ((i * 7919) % 65536)));
    const temp = await store.createTemp();
    for (const chunk of chunks) await temp.write(chunk);
    await store.commitObject(temp, 'many');
    assert.ok((await readFile(store.objectPath('many'))).equals(Buffer.concat(chunks)));
  });

  void it('writes at most maxBytes of a temp blob to disk but counts every byte', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'ccu-blob-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const store = new BlobStore(root);
    await store.init();
    const temp = await store.createTemp({ maxBytes: 100 });
    await temp.write(randomBytes(80));
    await temp.write(randomBytes(80));
    assert.equal(temp.bytesSeen, 160);
    assert.equal(temp.complete, false);
    await store.commitObject(temp, 'capped');
    assert.equal(await store.objectSize('capped'), 100);
  });
});
