// Emulator admin routes, options from the environment, and `npm run emulator` (docs/emulator.md).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emulatorOptionsFromEnv } from '../../src/emulator/index.js';
import { emulatorFixture } from '../support/emulator-fixture.js';

const json = { 'content-type': 'application/json' };

void describe('admin routes', () => {
  void it('reads and replaces the fault config with CORS headers for the demo page', async (t) => {
    const { client, emulator } = await emulatorFixture(t);
    const empty = await client.send('GET', '/__emulator/faults');
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json, {});
    assert.equal(empty.headers['access-control-allow-origin'], '*');
    const config = { seed: 5, routes: { 'feishu.*.upload_part': { errorRate: 0.25, latencyMs: 10 } }, expireUploadsAfterParts: 3 };
    const put = await client.send('PUT', '/__emulator/faults', json, Buffer.from(JSON.stringify(config)));
    assert.equal(put.status, 200);
    assert.deepEqual(put.json, config);
    assert.deepEqual(emulator.faults.get(), config);
    const preflight = await client.send('OPTIONS', '/__emulator/faults', { origin: 'http://localhost:5173', 'access-control-request-method': 'PUT' });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
    assert.match(String(preflight.headers['access-control-allow-methods']), /PUT/);
  });

  void it('refuses a malformed fault config with 400 and keeps the old one', async (t) => {
    const { client, emulator } = await emulatorFixture(t, { faults: { routes: { 'feishu.token': { latencyMs: 1 } } } });
    for (const bad of ['{"routes":{"x":{"errorRate":2}}}', '{"nope":1}', '{"routes":{"x":{"latencyMs":-1}}}', 'not json', '[]']) {
      const res = await client.send('PUT', '/__emulator/faults', json, Buffer.from(bad));
      assert.equal(res.status, 400, bad);
    }
    assert.deepEqual(emulator.faults.get(), { routes: { 'feishu.token': { latencyMs: 1 } } });
  });

  void it('lists logged requests (filtered by route glob and limited) and clears them; admin calls are not logged', async (t) => {
    const { client } = await emulatorFixture(t);
    await client.token();
    await client.token();
    await client.send('GET', '/open-apis/unknown');
    const all = await client.send('GET', '/__emulator/log');
    const entries = all.json['entries'] as { route: string; status: number; method: string; path: string; at: number; bytesIn: number; code?: number }[];
    assert.deepEqual(entries.map((e) => e.route), ['feishu.token', 'feishu.token', 'unmatched']);
    assert.equal(entries[0]?.code, 0);
    assert.equal(entries[0]?.method, 'POST');
    assert.equal(entries[0]?.path, '/open-apis/auth/v3/tenant_access_token/internal');
    assert.ok((entries[0]?.bytesIn ?? 0) > 10);
    assert.equal(entries[2]?.status, 404);
    const filtered = await client.send('GET', '/__emulator/log?route=feishu.*&limit=1');
    assert.equal((filtered.json['entries'] as unknown[]).length, 1);
    assert.equal((await client.send('DELETE', '/__emulator/log')).status, 200);
    assert.deepEqual((await client.send('GET', '/__emulator/log')).json['entries'], []);
  });

  void it('advances the emulator clock, which expires tokens', async (t) => {
    const { client, emulator } = await emulatorFixture(t);
    const token = await client.token();
    const before = emulator.clock.now();
    const res = await client.send('POST', '/__emulator/clock', json, Buffer.from('{"advanceMs":7200000}'));
    assert.equal(res.status, 200);
    assert.ok(Number(res.json['now']) >= before + 7_200_000);
    assert.equal((await client.send('POST', '/__emulator/clock', json, Buffer.from('{"advanceMs":-5}'))).status, 400);
    const prep = await client.prepare('files', { file_name: 'a', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 }, token);
    assert.equal(prep.json.code, 99991663);
  });

  void it('reports health and lists stored Feishu files', async (t) => {
    const { client } = await emulatorFixture(t);
    const health = await client.send('GET', '/__emulator');
    assert.ok(Array.isArray(health.json['flavours']) && (health.json['flavours'] as unknown[]).includes('feishu'), 'the Feishu flavour is mounted');
    const token = await client.token();
    const fileToken = await client.upload('files', Buffer.from('hello'), token);
    const files = (await client.send('GET', '/__emulator/feishu/files')).json['files'] as { fileToken: string; size: number; api: string }[];
    assert.deepEqual(files.map((f) => [f.fileToken, f.size, f.api]), [[fileToken, 5, 'files']]);
  });
});

void describe('emulatorOptionsFromEnv', () => {
  void it('uses the documented defaults for an empty environment', () => {
    assert.deepEqual(emulatorOptionsFromEnv({}), { host: '127.0.0.1', port: 8787, dataDir: '.data/emulator' });
  });

  void it('reads every documented variable', () => {
    const options = emulatorOptionsFromEnv({
      EMULATOR_PORT: '0',
      EMULATOR_DATA_DIR: '/tmp/x',
      FEISHU_APP_ID: 'cli_a',
      FEISHU_APP_SECRET: 'sec',
      EMULATOR_FEISHU_PARENTS: 'fldone, doxtwo ,',
      EMULATOR_FEISHU_BLOCK_SIZE: '65536',
      EMULATOR_FEISHU_RATE_LIMIT: 'off',
      EMULATOR_CORS: 'on',
      EMULATOR_FAULTS: '{"seed":9,"routes":{"*":{"latencyMs":5}}}',
    });
    assert.deepEqual(options, {
      host: '127.0.0.1',
      port: 0,
      dataDir: '/tmp/x',
      feishu: { appId: 'cli_a', appSecret: 'sec', parents: ['fldone', 'doxtwo'], blockSize: 65536, rateLimit: { enabled: false }, cors: true },
      faults: { seed: 9, routes: { '*': { latencyMs: 5 } } },
    });
  });

  void it('throws on malformed values', () => {
    assert.throws(() => emulatorOptionsFromEnv({ EMULATOR_PORT: 'abc' }), /EMULATOR_PORT/);
    assert.throws(() => emulatorOptionsFromEnv({ EMULATOR_FEISHU_RATE_LIMIT: 'maybe' }), /EMULATOR_FEISHU_RATE_LIMIT/);
    assert.throws(() => emulatorOptionsFromEnv({ EMULATOR_FAULTS: '{' }), /EMULATOR_FAULTS/);
    assert.throws(() => emulatorOptionsFromEnv({ EMULATOR_FAULTS: '{"routes":{"x":{"errorRate":9}}}' }), /errorRate/);
  });
});

void describe('npm run emulator (src/emulator/main.ts)', () => {
  void it('prints its URL, serves requests and exits 0 on SIGTERM', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ccu-emulator-main-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/main.ts'], {
      env: { ...process.env, EMULATOR_PORT: '0', EMULATOR_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', () => reject(new Error(`exited early: ${out}`)));
    });
    const health = (await (await fetch(`${url}/__emulator`)).json()) as { ok: boolean };
    assert.equal(health.ok, true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
