import type { EmulatorContext } from './emulator-context.js';

/** Handles one matched request; must answer (or drop) it. */
export type RouteHandler = (ctx: EmulatorContext) => Promise<void> | void;

/** A route a flavour (or the admin API) mounts on the shared server. */
export interface EmulatorRoute {
  /** Stable name used by faults and the request log, e.g. `feishu.medias.upload_part`. */
  name: string;
  /** HTTP method, upper case. */
  method: string;
  /** Path pattern: literal segments, `:param` segments, and an optional trailing `*`. */
  path: string;
  /** Admin routes get CORS headers, are never faulted and are not logged. */
  admin?: boolean;
  /**
   * Query parameters that must be present (any value, even empty) for the route to match, so
   * APIs that dispatch on the query (S3 `?uploads`, `?uploadId=`) get one named route per
   * operation. Routes are tried in order: list the more specific ones first.
   */
  query?: readonly string[];
  /**
   * The handler applies faults itself (`FaultController.decide` under the operation's name)
   * once it has read which operation the request is, because the API names it in the body
   * (COS legacy `op`); the server then skips its own fault decision for this route.
   */
  deferFaults?: boolean;
  handle: RouteHandler;
}

/** One emulated provider (Feishu/Lark today; PDS, COS legacy and S3 later). */
export interface EmulatorFlavour {
  /** Short name, also the prefix of its route names, e.g. `feishu`. */
  readonly name: string;
  readonly routes: readonly EmulatorRoute[];
  /**
   * Answers with a provider error in this flavour's envelope: an injected fault (`code` from
   * the fault config, or null for the flavour's documented retryable default) or an
   * unexpected exception (null).
   */
  renderFault(ctx: EmulatorContext, code: number | string | null): void;
  /** Loads persisted state and prepares storage. */
  init(): Promise<void>;
  /** Flushes persisted state. */
  close(): Promise<void>;
}

/** A compiled route pattern. */
export interface CompiledRoute {
  route: EmulatorRoute;
  flavour: EmulatorFlavour | undefined;
  /** Path params when method, path and required query parameters match. */
  match(method: string, path: string, query?: URLSearchParams): Record<string, string> | undefined;
}

/** Compiles a route's path pattern into a matcher. */
export function compileRoute(route: EmulatorRoute, flavour: EmulatorFlavour | undefined): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment, i, all) => {
      if (segment === '*' && i === all.length - 1) {
        names.push('*');
        return '(.*)';
      }
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.+?^${}()|[\]\\*]/g, '\\$&');
    })
    .join('/');
  const re = new RegExp(`^${source}$`);
  return {
    route,
    flavour,
    match(method, path, query) {
      if (method !== route.method) return undefined;
      if (route.query && !route.query.every((name) => query?.has(name) === true)) return undefined;
      const m = re.exec(path);
      if (!m) return undefined;
      const params: Record<string, string> = {};
      try {
        names.forEach((name, i) => {
          params[name] = decodeURIComponent(m[i + 1] ?? '');
        });
      } catch {
        return undefined;
      }
      return params;
    },
  };
}
