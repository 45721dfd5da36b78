import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_CORS_HEADERS } from './admin-routes.js';
import type { EmulatorClock } from './emulator-clock.js';
import { EmulatorContext } from './emulator-context.js';
import { compileRoute, type CompiledRoute, type EmulatorFlavour, type EmulatorRoute } from './emulator-route.js';
import type { FaultController } from './fault-controller.js';
import type { RequestLog } from './request-log.js';

/** What the shared server mounts and consults. */
export interface EmulatorServerOptions {
  host: string;
  /** 0 = a free port. */
  port: number;
  clock: EmulatorClock;
  faults: FaultController;
  log: RequestLog;
  flavours: readonly EmulatorFlavour[];
  adminRoutes: readonly EmulatorRoute[];
}

/**
 * One node:http server that mounts the admin routes and every flavour's routes, applies
 * injected faults before a provider route runs, and records each provider request in the log.
 * node:http (not a fetch adapter) keeps request bodies as streams we can read part by part
 * and lets a fault destroy the socket mid-body.
 */
export class EmulatorServer {
  readonly #options: EmulatorServerOptions;
  readonly #routes: CompiledRoute[];
  readonly #server: Server;

  constructor(options: EmulatorServerOptions) {
    this.#options = options;
    this.#routes = [
      ...options.adminRoutes.map((r) => compileRoute(r, undefined)),
      ...options.flavours.flatMap((f) => f.routes.map((r) => compileRoute(r, f))),
    ];
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        // #handle answers its own errors; this only guards against a broken socket
        res.destroy();
      });
    });
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', onError);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting, cuts open connections and resolves when the server is closed. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
  }

  #match(ctx: EmulatorContext): { compiled: CompiledRoute; params: Record<string, string> } | undefined {
    for (const compiled of this.#routes) {
      const params = compiled.match(ctx.method, ctx.path, ctx.url.searchParams);
      if (params) return { compiled, params };
    }
    return undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { clock, faults, log } = this.#options;
    const ctx = new EmulatorContext(req, res, clock.now());
    const found = this.#match(ctx);
    const admin = found?.compiled.route.admin === true;
    try {
      if (!found) {
        await ctx.discardBody();
        ctx.json(404, { code: 404, msg: `no route for ${ctx.method} ${ctx.path}` });
        return;
      }
      const { compiled, params } = found;
      ctx.params = params;
      ctx.route = compiled.route.name;
      if (admin) {
        for (const [k, v] of Object.entries(ADMIN_CORS_HEADERS)) res.setHeader(k, v);
      } else if (compiled.route.deferFaults !== true) {
        const decision = faults.decide(ctx.route);
        if (decision.latencyMs > 0) {
          ctx.fault = 'latency';
          await sleep(decision.latencyMs);
        }
        if (decision.dropAfterBytes !== undefined) {
          ctx.fault = 'drop';
          await ctx.dropConnection(decision.dropAfterBytes);
          return;
        }
        if (decision.error !== undefined && compiled.flavour) {
          ctx.fault = 'error';
          await ctx.discardBody();
          compiled.flavour.renderFault(ctx, decision.error);
          return;
        }
      }
      await compiled.route.handle(ctx);
    } catch (error) {
      if (!ctx.responded) {
        await ctx.discardBody();
        if (found?.compiled.flavour) found.compiled.flavour.renderFault(ctx, null);
        else ctx.json(500, { error: error instanceof Error ? error.message : String(error) });
      } else if (!res.writableEnded) {
        res.destroy();
      }
    } finally {
      if (!admin) {
        const entry = {
          at: ctx.receivedAt,
          method: ctx.method,
          path: ctx.path,
          route: ctx.route,
          status: res.headersSent ? res.statusCode : 0,
          bytesIn: ctx.bytesIn,
          ...(ctx.code !== undefined ? { code: ctx.code } : {}),
          ...(ctx.fault !== undefined ? { fault: ctx.fault } : {}),
          ...(ctx.header('host') !== undefined ? { host: ctx.header('host') } : {}),
        };
        log.add(entry);
      }
    }
  }
}
