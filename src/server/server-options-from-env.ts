import type { UploadHandlerOptions } from './create-upload-handler.js';
import { cosLegacyServerConfigFromEnv } from './providers/cos-legacy-config-from-env.js';
import { pdsServerConfigFromEnv } from './providers/pds-config-from-env.js';
import { s3ServerConfigFromEnv } from './providers/s3-config-from-env.js';

/** `npm run server` listens here unless SERVER_PORT says otherwise. */
export const DEFAULT_SERVER_PORT = 8788;
/** The emulator's default port (EMULATOR_PORT). */
export const DEFAULT_EMULATOR_PORT = 8787;
/** The emulator's documented default app credentials (src/emulator). */
export const EMULATOR_APP_ID = 'cli_emulator';
export const EMULATOR_APP_SECRET = 'emulator-secret';
/** Origins of the demo dev server (Vite). */
export const DEFAULT_ALLOWED_ORIGINS = ['http://127.0.0.1:5173', 'http://localhost:5173'];

/** Options for `startUploadServer`, plus things the caller should tell the operator. */
export type ServerOptionsFromEnv = UploadHandlerOptions & {
  port: number;
  host: string;
  /** Human-readable warnings (e.g. a generated ticket secret); never contain secrets. */
  warnings: string[];
};

/**
 * Read the backend's configuration from environment variables (docs/protocol.md §Running):
 * SERVER_PORT (8788), SERVER_HOST (127.0.0.1), FEISHU_BASE_URL (the emulator,
 * `http://127.0.0.1:${EMULATOR_PORT || 8787}`), LARK_BASE_URL (same as Feishu's),
 * FEISHU_APP_ID / FEISHU_APP_SECRET (the emulator's `cli_emulator` / `emulator-secret`),
 * FEISHU_RATE_LIMIT_QPS (5), UPLOAD_TICKET_SECRET (required when NODE_ENV=production,
 * otherwise generated per start with a warning), ALLOWED_ORIGINS (comma-separated; the demo's
 * origins by default), MAX_FILE_SIZE (bytes).
 *
 * @example
 * const { warnings, ...options } = serverOptionsFromEnv(process.env);
 */
export function serverOptionsFromEnv(env: NodeJS.ProcessEnv): ServerOptionsFromEnv {
  const warnings: string[] = [];
  const emulator = `http://127.0.0.1:${env['EMULATOR_PORT'] || DEFAULT_EMULATOR_PORT}`;
  const feishuBaseUrl = env['FEISHU_BASE_URL'] || emulator;
  const qps = env['FEISHU_RATE_LIMIT_QPS'] ? positiveNumber('FEISHU_RATE_LIMIT_QPS', env['FEISHU_RATE_LIMIT_QPS']) : undefined;
  const app = {
    appId: env['FEISHU_APP_ID'] || EMULATOR_APP_ID,
    appSecret: env['FEISHU_APP_SECRET'] || EMULATOR_APP_SECRET,
    ...(qps !== undefined && { rateLimitQps: qps }),
  };
  let secret = env['UPLOAD_TICKET_SECRET'] ?? '';
  if (secret === '') {
    if (env['NODE_ENV'] === 'production') throw new Error('UPLOAD_TICKET_SECRET is required in production (32+ random bytes)');
    secret = randomSecret();
    warnings.push('UPLOAD_TICKET_SECRET is not set: using a random secret for this run; tickets will not survive a restart');
  } else if (new TextEncoder().encode(secret).byteLength < 32) {
    warnings.push('UPLOAD_TICKET_SECRET is shorter than 32 bytes; use a longer random value');
  }
  const origins = env['ALLOWED_ORIGINS'] === undefined ? DEFAULT_ALLOWED_ORIGINS : env['ALLOWED_ORIGINS'].split(',').map((o) => o.trim()).filter((o) => o !== '');
  const maxFileSize = env['MAX_FILE_SIZE'] ? positiveNumber('MAX_FILE_SIZE', env['MAX_FILE_SIZE']) : undefined;
  return {
    port: env['SERVER_PORT'] ? Number(env['SERVER_PORT']) : DEFAULT_SERVER_PORT,
    host: env['SERVER_HOST'] || '127.0.0.1',
    secret,
    providers: {
      feishu: { baseUrl: feishuBaseUrl, ...app },
      lark: { baseUrl: env['LARK_BASE_URL'] || feishuBaseUrl, ...app },
      // COS_* variables: see cosLegacyServerConfigFromEnv (docs/protocol.md §COS legacy).
      'cos-legacy': cosLegacyServerConfigFromEnv(env, emulator),
      // PDS_* variables: see pdsServerConfigFromEnv (docs/protocol.md §PDS).
      pds: pdsServerConfigFromEnv(env, emulator),
      // S3_* variables: see s3ServerConfigFromEnv (docs/protocol.md §S3).
      s3: s3ServerConfigFromEnv(env),
    },
    allowedOrigins: origins,
    ...(maxFileSize !== undefined && { maxFileSize }),
    warnings,
  };
}

function positiveNumber(name: string, value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${name} must be a positive number`);
  return n;
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
