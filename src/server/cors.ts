import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.js';

/** Request headers the element sends (docs/protocol.md §CORS). */
export const CORS_ALLOW_HEADERS = 'authorization, content-type, x-part-checksum';
/** Response headers the element must be able to read. */
export const CORS_EXPOSE_HEADERS = 'retry-after, content-disposition';
export const CORS_ALLOW_METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
/** How long a browser may cache a preflight answer (s). */
export const CORS_MAX_AGE_S = 600;

/**
 * CORS with an exact-origin allowlist. An allowed origin is echoed back (never `*`, because
 * credentials are allowed for apps whose `authenticate` reads cookies) with `Vary: Origin`.
 * A request whose `Origin` is neither allowed nor the backend's own origin is refused with
 * 403 before any route runs: this closes cross-site "simple" requests that skip preflight.
 * Requests without `Origin` (curl, server-to-server) pass.
 *
 * @example
 * app.use('*', cors(['http://127.0.0.1:5173']));
 */
export function cors(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins);
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin === undefined) {
      await next();
      return;
    }
    const sameOrigin = origin === new URL(c.req.url).origin;
    if (!allowed.has(origin) && !sameOrigin) {
      c.res = new HttpError(403, { code: 'forbidden', kind: 'fatal', message: 'This origin is not allowed to use the upload backend' }).toResponse();
      return;
    }
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined) {
      c.res = new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-credentials': 'true',
          'access-control-allow-methods': CORS_ALLOW_METHODS,
          'access-control-allow-headers': CORS_ALLOW_HEADERS,
          'access-control-max-age': String(CORS_MAX_AGE_S),
          vary: 'Origin',
        },
      });
      return;
    }
    await next();
    // Rebuild the response only if its headers are immutable (a fetched upstream response).
    let res = c.res;
    try {
      res.headers.set('access-control-allow-origin', origin);
    } catch {
      res = new Response(res.body, res);
      c.res = res;
      res.headers.set('access-control-allow-origin', origin);
    }
    res.headers.set('access-control-allow-credentials', 'true');
    res.headers.set('access-control-expose-headers', CORS_EXPOSE_HEADERS);
    res.headers.append('vary', 'Origin');
  };
}
