import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverOptionsFromEnv } from '../../src/server/index.js';

void describe('serverOptionsFromEnv', () => {
  void it('defaults to the emulator, its app credentials, port 8788 on loopback and the demo origins', () => {
    const options = serverOptionsFromEnv({});
    assert.equal(options.port, 8788);
    assert.equal(options.host, '127.0.0.1');
    assert.deepEqual(options.providers.feishu, { baseUrl: 'http://127.0.0.1:8787', appId: 'cli_emulator', appSecret: 'emulator-secret' });
    assert.deepEqual(options.providers.lark, options.providers.feishu);
    assert.deepEqual(options.allowedOrigins, ['http://127.0.0.1:5173', 'http://localhost:5173']);
  });

  void it('generates a random ticket secret with a warning that does not contain it', () => {
    const a = serverOptionsFromEnv({});
    const b = serverOptionsFromEnv({});
    assert.equal(a.secret.length, 64);
    assert.notEqual(a.secret, b.secret);
    assert.equal(a.warnings.length, 1);
    assert.ok(!a.warnings[0]?.includes(a.secret));
  });

  void it('requires UPLOAD_TICKET_SECRET in production', () => {
    assert.throws(() => serverOptionsFromEnv({ NODE_ENV: 'production' }), /UPLOAD_TICKET_SECRET/);
  });

  void it('reads every variable', () => {
    const options = serverOptionsFromEnv({
      SERVER_PORT: '9000', EMULATOR_PORT: '9999', LARK_BASE_URL: 'https://open.larksuite.com', FEISHU_APP_ID: 'cli_x',
      FEISHU_APP_SECRET: 'sx', FEISHU_RATE_LIMIT_QPS: '2', UPLOAD_TICKET_SECRET: 's'.repeat(32),
      ALLOWED_ORIGINS: 'https://a.example, https://b.example ,', MAX_FILE_SIZE: '1000',
    });
    assert.equal(options.port, 9000);
    assert.deepEqual(options.providers.feishu, { baseUrl: 'http://127.0.0.1:9999', appId: 'cli_x', appSecret: 'sx', rateLimitQps: 2 });
    assert.equal(options.providers.lark?.baseUrl, 'https://open.larksuite.com');
    assert.equal(options.secret, 's'.repeat(32));
    assert.deepEqual(options.warnings, []);
    assert.deepEqual(options.allowedOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(options.maxFileSize, 1000);
  });
});
