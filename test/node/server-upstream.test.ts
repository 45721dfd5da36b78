// The providers' shared upstream call: network failures become 502 `network` (retry), aborts
// pass through, and a JSON `{code, data}` envelope is read or refused as 502 `bad-response`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../../src/server/http-error.js';
import { fetchUpstream, readJsonEnvelope } from '../../src/server/providers/upstream.js';

const refused: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));

void describe('fetchUpstream', () => {
  void it('answers the response of a call that went through', async () => {
    const ok: typeof fetch = () => Promise.resolve(new Response('hi', { status: 418 }));
    const response = await fetchUpstream(ok, 'http://127.0.0.1:1/x', {}, 'unreachable');
    assert.equal(response.status, 418);
    assert.equal(await response.text(), 'hi');
  });

  void it('turns a network failure into 502 network (retry) with the given message and the cause', async () => {
    const error = await fetchUpstream(refused, 'http://127.0.0.1:1/x', { signal: new AbortController().signal }, 'The backend could not reach PDS').catch((e: unknown) => e);
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 502);
    assert.deepEqual([error.data.code, error.data.kind, error.data.message], ['network', 'retry', 'The backend could not reach PDS']);
    assert.ok(error.cause instanceof TypeError);
  });

  void it('lets the failure of an aborted call pass through unchanged', async () => {
    const controller = new AbortController();
    const abort = new DOMException('gone', 'AbortError');
    const aborting: typeof fetch = () => {
      controller.abort(abort);
      return Promise.reject(abort);
    };
    await assert.rejects(fetchUpstream(aborting, 'http://127.0.0.1:1/x', { signal: controller.signal }, 'unreachable'), (e) => e === abort);
  });
});

void describe('readJsonEnvelope', () => {
  void it('reads code, status and an object data whatever the HTTP status; other data reads as {}', async () => {
    assert.deepEqual(await readJsonEnvelope(Response.json({ code: 0, data: { a: 1 } }), 'X'), { code: 0, status: 200, data: { a: 1 } });
    assert.deepEqual(await readJsonEnvelope(Response.json({ code: -59, data: [1] }, { status: 400 }), 'X'), { code: -59, status: 400, data: {} });
    assert.deepEqual(await readJsonEnvelope(Response.json({ code: 7 }), 'X'), { code: 7, status: 200, data: {} });
  });

  void it('refuses a body that is not an envelope with 502 bad-response (retry) naming the sender', async () => {
    for (const body of ['<html>', '{"code":"0"}', 'null', '']) {
      const error = await readJsonEnvelope(new Response(body, { status: 503 }), 'The storage').catch((e: unknown) => e);
      assert.ok(error instanceof HttpError, body);
      assert.equal(error.status, 502);
      assert.deepEqual([error.data.code, error.data.kind, error.data.message], ['bad-response', 'retry', 'The storage sent an unreadable response (HTTP 503)']);
    }
  });
});
