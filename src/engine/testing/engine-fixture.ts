import { UploadEngine } from '../upload-engine.js';
import type { UploadEngineOptions } from '../upload-engine.js';
import { EngineHarness } from './engine-harness.js';
import { FakeHashService } from './fake-hash-service.js';
import { FakeProviderClient } from './fake-provider-client.js';
import type { FakeProviderOptions } from './fake-provider-client.js';

/** What {@link engineFixture} builds: the fakes, the engine over them and its harness. */
export interface EngineFixture {
  provider: FakeProviderClient;
  hasher: FakeHashService;
  engine: UploadEngine;
  h: EngineHarness;
}

/**
 * An engine over a fake provider (8-byte parts unless `providerOptions` says otherwise) and a
 * fake hasher, targeting `fld-test` with retry delays of 1–4 ms so retry tests stay fast;
 * `t.after` disposes it. `t` is any test context with `after` (node:test's or a test double).
 *
 * @example
 * const { provider, engine, h } = engineFixture(t, { sendDelayMs: 1 }, { concurrency: 2 });
 */
export function engineFixture(t: { after: (fn: () => void) => void }, providerOptions: FakeProviderOptions = {}, engineOptions: Partial<UploadEngineOptions> = {}): EngineFixture {
  const provider = new FakeProviderClient({ partSize: 8, ...providerOptions });
  const hasher = new FakeHashService();
  const engine = new UploadEngine({ provider, hasher, target: 'fld-test', retry: { baseDelayMs: 1, maxDelayMs: 4 }, ...engineOptions });
  t.after(() => engine.dispose());
  return { provider, hasher, engine, h: new EngineHarness(engine) };
}

/**
 * Throws unless the fake provider stored exactly `file`'s bytes under `token` (the result's
 * `fileToken`). Plain comparison, no node:assert, so browser tests can use it too.
 */
export async function assertStoredBytes(provider: FakeProviderClient, token: string | undefined, file: Blob): Promise<void> {
  const stored = provider.stored.get(token ?? '');
  if (stored === undefined) throw new Error(`the provider stored nothing under ${String(token)}`);
  const expected = new Uint8Array(await file.arrayBuffer());
  if (stored.length !== expected.length) throw new Error(`the provider stored ${stored.length} bytes, the file has ${expected.length}`);
  const at = expected.findIndex((byte, i) => stored[i] !== byte);
  if (at !== -1) throw new Error(`the stored bytes differ from the file at offset ${at}`);
}
