import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createUploadHandler, type UploadHandlerOptions } from './create-upload-handler.js';

/** A running backend. */
export interface RunningUploadServer {
  /** `http://host:port` (add `basePath` yourself). */
  url: string;
  port: number;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/**
 * Run `createUploadHandler(options)` on Node with @hono/node-server. Binds 127.0.0.1 unless
 * `host` says otherwise (the default `authenticate` is only sound on loopback); port 0 picks a
 * free port. Global `Request`/`Response` are left untouched.
 *
 * @example
 * const server = await startUploadServer({ secret, providers: { feishu }, port: 0 });
 * await fetch(`${server.url}/v1/sessions`, …);
 * await server.close();
 */
export async function startUploadServer(options: UploadHandlerOptions & { port?: number; host?: string }): Promise<RunningUploadServer> {
  const { port = 0, host = '127.0.0.1', ...handlerOptions } = options;
  const handler = createUploadHandler(handlerOptions);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: handler, port, hostname: host, overrideGlobalObjects: false }) as Server;
    s.once('listening', () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
