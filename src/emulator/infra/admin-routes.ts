import type { EmulatorClock } from './emulator-clock.js';
import type { EmulatorContext } from './emulator-context.js';
import type { EmulatorRoute } from './emulator-route.js';
import { FaultConfigError, type FaultController } from './fault-controller.js';
import type { RequestLog } from './request-log.js';

/** Admin JSON bodies are tiny. */
const ADMIN_BODY_LIMIT = 256 * 1024;

/**
 * CORS headers sent on every admin response: the demo page toggles faults from the browser
 * (task brief), so admin routes are open to any origin. Provider routes decide their own.
 */
export const ADMIN_CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, PUT, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '600',
} as const;

/** Reads an admin JSON body; answers 400 itself and returns undefined when it is not JSON. */
export async function readAdminJson(ctx: EmulatorContext): Promise<unknown> {
  const body = await ctx.readBody(ADMIN_BODY_LIMIT);
  if (body === undefined) {
    ctx.json(413, { error: `body larger than ${ADMIN_BODY_LIMIT} bytes` });
    return undefined;
  }
  try {
    return body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as unknown);
  } catch {
    ctx.json(400, { error: 'body is not valid JSON' });
    return undefined;
  }
}

/** What the shared admin routes control. */
export interface AdminTargets {
  faults: FaultController;
  log: RequestLog;
  clock: EmulatorClock;
  /** Names of the mounted flavours, reported by `GET /__emulator`. */
  flavours: readonly string[];
}

/**
 * The shared admin API under `/__emulator` (docs/emulator.md):
 * - `GET /__emulator` — health and mounted flavours
 * - `GET|PUT /__emulator/faults` — read / replace the fault config
 * - `GET /__emulator/log?route=<glob>&limit=<n>`, `DELETE /__emulator/log`
 * - `GET /__emulator/clock`, `POST /__emulator/clock` `{ "advanceMs": n }`
 */
export function adminRoutes(targets: AdminTargets): EmulatorRoute[] {
  const { faults, log, clock } = targets;
  const route = (method: string, path: string, name: string, handle: EmulatorRoute['handle']): EmulatorRoute => ({
    method,
    path,
    name: `admin.${name}`,
    admin: true,
    handle,
  });
  return [
    route('OPTIONS', '/__emulator/*', 'preflight', async (ctx) => {
      await ctx.discardBody();
      ctx.send(204, '');
    }),
    route('GET', '/__emulator', 'health', (ctx) => {
      ctx.json(200, { ok: true, flavours: targets.flavours, now: clock.now() });
    }),
    route('GET', '/__emulator/faults', 'faults.get', (ctx) => {
      ctx.json(200, faults.get());
    }),
    route('PUT', '/__emulator/faults', 'faults.put', async (ctx) => {
      const body = await readAdminJson(ctx);
      if (body === undefined) return;
      try {
        faults.set(body as Parameters<FaultController['set']>[0]);
      } catch (error) {
        if (error instanceof FaultConfigError) {
          ctx.json(400, { error: error.message });
          return;
        }
        throw error;
      }
      ctx.json(200, faults.get());
    }),
    route('GET', '/__emulator/log', 'log.get', (ctx) => {
      const glob = ctx.url.searchParams.get('route');
      const limitText = ctx.url.searchParams.get('limit');
      let entries = glob ? log.filter(glob) : [...log.entries];
      if (limitText !== null) {
        const limit = Number(limitText);
        if (Number.isInteger(limit) && limit >= 0) entries = limit === 0 ? [] : entries.slice(-limit);
      }
      ctx.json(200, { entries });
    }),
    route('DELETE', '/__emulator/log', 'log.clear', (ctx) => {
      log.clear();
      ctx.json(200, { entries: [] });
    }),
    route('GET', '/__emulator/clock', 'clock.get', (ctx) => {
      ctx.json(200, { now: clock.now() });
    }),
    route('POST', '/__emulator/clock', 'clock.advance', async (ctx) => {
      const body = await readAdminJson(ctx);
      if (body === undefined) return;
      const advanceMs = (body as { advanceMs?: unknown }).advanceMs;
      if (typeof advanceMs !== 'number' || !Number.isFinite(advanceMs) || advanceMs < 0) {
        ctx.json(400, { error: 'advanceMs must be a number >= 0' });
        return;
      }
      clock.advance(advanceMs);
      ctx.json(200, { now: clock.now() });
    }),
  ];
}
